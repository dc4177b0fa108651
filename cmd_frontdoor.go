package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/keeper"
	"github.com/rocket-sandbox/rocket-sandbox/server"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// hello is what the keeper tells the front door on its stdin: the
// resolved configuration, the manifest and the fingerprint (the front
// door reads neither the state dir nor the binary).
type hello struct {
	Config      config.App          `json:"config"`
	Manifest    *toolchain.Manifest `json:"manifest"`
	Fingerprint string              `json:"fingerprint"`
}

// The front door's inherited descriptors: its end of the keeper's
// socketpair, then the listening socket.
const (
	frontDoorKeeperFD   = 3
	frontDoorListenerFD = 4
)

// serveSplit is serve with front_door.uid set: this root process keeps
// the keeper (the compile jail and the workers) and re-executes the
// binary as the front door under front_door.uid, with no capabilities,
// giving it the listener and its end of the keeper's socketpair.
func serveSplit(ctx context.Context, cfg config.App, log *slog.Logger) error {
	k, err := app.NewKeeper(cfg)
	if err != nil {
		return err
	}
	defer k.Close()
	uid := cfg.FrontDoor.UID
	for key, dir := range map[string]string{"cache.results.dir": cfg.Cache.Results.Dir, "cache.modules.dir": cfg.Cache.Modules.Dir, "cache.shares.dir": cfg.Cache.Shares.Dir} {
		if err := frontDoorDir(key, dir, uid); err != nil {
			return err
		}
	}
	// The keeper listens, so a port below 1024 needs no capability in
	// the front door.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	lf, err := ln.(*net.TCPListener).File()
	ln.Close()
	if err != nil {
		return err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("keeper socketpair: %w", err)
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "keeper"), os.NewFile(uintptr(fds[1]), "front-door")
	c, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		theirs.Close()
		lf.Close()
		return err
	}
	conn := c.(*net.UnixConn)
	defer conn.Close()
	msg, err := json.Marshal(hello{Config: cfg, Manifest: k.Manifest, Fingerprint: k.Fingerprint})
	if err != nil {
		theirs.Close()
		lf.Close()
		return err
	}
	// /proc/self/exe: the binary's own path may be in a directory the
	// front door's uid cannot search.
	cmd := exec.Command("/proc/self/exe", "front-door")
	cmd.Dir = "/"
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Stdin = bytes.NewReader(msg)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{theirs, lf}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Changing uid from root clears every capability set; there are
		// no ambient ones, and the front door sets no_new_privs first.
		Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid), Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
	}
	err = cmd.Start()
	// Only the front door holds the listener and its end.
	theirs.Close()
	lf.Close()
	if err != nil {
		return fmt.Errorf("start the front door: %w", err)
	}
	log.Info("keeper: front door started", "pid", cmd.Process.Pid, "uid", uid)
	served := make(chan error, 1)
	go func() { served <- k.Serve(ctx, conn) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// However it ends, the front door is gone before the keeper stops
	// (which kills the workers), and the keeper before the jail closes.
	var result error
	select {
	case err := <-exited:
		result = fmt.Errorf("front door exited: %v", err)
	case err := <-served:
		cmd.Process.Kill()
		<-exited
		return err
	case <-ctx.Done():
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(35 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}
	conn.Close()
	<-served
	return result
}

// frontDoorDir makes dir the front door's: created, owned by uid, and
// reachable by it (every directory above searchable by others). The
// default state dir under /root is not: put the caches outside it.
func frontDoorDir(key, dir string, uid int) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if err := os.Chown(dir, uid, uid); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	for d := filepath.Dir(filepath.Clean(dir)); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%s %q: the front door (front_door.uid %d) cannot reach it: %s is not searchable by others; set %s outside it", key, dir, uid, d, key)
		}
		if d == "/" {
			return nil
		}
	}
}

// cmdFrontDoor is the unprivileged front door, started by serveSplit
// only: it refuses to run as root, sets no_new_privs, and serves HTTP on
// the inherited listener with compiles and workers from the keeper.
func cmdFrontDoor(ctx context.Context, _ []string) error {
	if os.Geteuid() == 0 || os.Getuid() == 0 {
		return errors.New("front-door: refusing to run as root (serve starts it)")
	}
	// no_new_privs is a thread's, and the Go runtime has started threads
	// already: set it on this one and exec the binary again, so the
	// process starts over as one thread holding it, and every thread
	// after inherits it. The inherited descriptors survive the exec.
	if nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err != nil || nnp != 1 {
		runtime.LockOSThread()
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("front-door: no_new_privs: %w", err)
		}
		return fmt.Errorf("front-door: exec with no_new_privs: %w", syscall.Exec("/proc/self/exe", os.Args, os.Environ()))
	}
	b, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
	if err != nil {
		return fmt.Errorf("front-door: read the keeper's hello: %w", err)
	}
	var h hello
	if err := json.Unmarshal(b, &h); err != nil || h.Manifest == nil {
		return fmt.Errorf("front-door: bad hello from the keeper: %v", err)
	}
	if err := h.Config.Validate(); err != nil {
		return fmt.Errorf("front-door: %w", err)
	}
	kf := os.NewFile(frontDoorKeeperFD, "keeper")
	c, err := net.FileConn(kf)
	kf.Close()
	if err != nil {
		return fmt.Errorf("front-door: keeper connection: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return errors.New("front-door: the keeper connection is not a unix socket")
	}
	client := keeper.NewClient(uc)
	defer client.Close()
	lf := os.NewFile(frontDoorListenerFD, "listener")
	ln, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return fmt.Errorf("front-door: listener: %w", err)
	}
	a, err := app.NewFrontDoor(ctx, h.Config, h.Manifest, h.Fingerprint, client)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	setGoMemoryLimit(h.Config, log) // the caches are the front door's
	srv := server.New(h.Config.Server, a.Service(), log, server.WithMetrics(a.Metrics()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Listener(ln) }()
	log.Info("rocket-sandbox listening", "addr", "http://"+ln.Addr().String(), "front_door_uid", os.Getuid())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return srv.ShutdownWithTimeout(30 * time.Second)
	}
}
