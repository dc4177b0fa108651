// Package frontdoor is the unprivileged half of the split service
// (front_door.uid, docs/security.md "Process model"): the HTTP server,
// request decoding, harness preparation, the caches and result parsing,
// in a process of their own with no privilege, whose compiles and
// workers are the keeper's.
//
// Start, in the root process that keeps the keeper, re-executes the
// binary as the front door; MaybeMain, called first thing in main (and in
// a test binary's TestMain), is that process: it gives up root on one
// thread — the bounding set emptied, groups dropped, gid and uid
// changed, no_new_privs and the parent-death signal set — and execs the
// binary again from that thread, so the program that then reads the
// network starts with no capability on any thread. It loads a seccomp
// filter of its own (jail/seccomp FrontDoorTable) and serves.
package frontdoor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/profiles"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// Arg is the front door's command: argv[1] of the re-executed binary.
const Arg = "front-door"

// hello is what the keeper tells the front door on its stdin: the
// resolved configuration, the manifest and the fingerprint (the front
// door reads neither the state dir nor the binary), and where to serve
// profiles ("" for nowhere).
type hello struct {
	Config      config.App          `json:"config"`
	Manifest    *toolchain.Manifest `json:"manifest"`
	Fingerprint string              `json:"fingerprint"`
	PprofListen string              `json:"pprof_listen"`
}

// The front door's inherited descriptors: its end of the keeper's
// socketpair, then the listening socket.
const (
	keeperFD   = 3
	listenerFD = 4
)

// Split is a running front door and the keeper's conversation with it.
type Split struct {
	cmd      *exec.Cmd
	conn     *net.UnixConn
	exited   chan struct{}
	exitErr  error
	served   chan struct{}
	serveErr error
}

// Start makes the caches the front door's (Dirs), starts it as a child
// of this root process on ln (which only it keeps), and serves its
// requests with k until it ends. pprofListen, if not empty, is where the
// front door serves profiles (a loopback address). The front door's
// output goes to out.
func Start(ctx context.Context, k *app.Keeper, cfg config.App, ln *net.TCPListener, pprofListen string, out io.Writer) (*Split, error) {
	uid := cfg.FrontDoor.UID
	if uid <= 0 {
		return nil, fmt.Errorf("front door: front_door.uid %d: the split needs a uid other than root's", uid)
	}
	if pprofListen != "" {
		if err := profiles.Check(pprofListen); err != nil {
			return nil, err
		}
	}
	if err := Dirs(cfg); err != nil {
		return nil, err
	}
	// The front door starts in /: a relative guide directory is the
	// keeper's working directory's.
	if d := cfg.Server.GuideDir; d != "" && !filepath.IsAbs(d) {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("server.guide_dir: %w", err)
		}
		cfg.Server.GuideDir = abs
	}
	msg, err := json.Marshal(hello{Config: cfg, Manifest: k.Manifest, Fingerprint: k.Fingerprint, PprofListen: pprofListen})
	if err != nil {
		return nil, err
	}
	lf, err := ln.File()
	if err != nil {
		return nil, err
	}
	defer lf.Close() // only the front door keeps the listener
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("keeper socketpair: %w", err)
	}
	mine, theirs := os.NewFile(uintptr(fds[0]), "keeper"), os.NewFile(uintptr(fds[1]), "front-door")
	defer theirs.Close() // only the front door keeps its end
	c, err := net.FileConn(mine)
	mine.Close()
	if err != nil {
		return nil, err
	}
	s := &Split{conn: c.(*net.UnixConn), exited: make(chan struct{}), served: make(chan struct{})}
	// /proc/self/exe: the binary's own path may be in a directory the
	// front door's uid cannot search. It starts as root and gives root
	// up itself (MaybeMain): Go's SysProcAttr cannot empty the bounding
	// set, which is each thread's.
	s.cmd = exec.Command("/proc/self/exe", Arg, strconv.Itoa(uid))
	s.cmd.Dir = "/"
	s.cmd.Env = []string{"PATH=/usr/bin:/bin"}
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok { // the operator's, over go_memory_limit_mb
		s.cmd.Env = append(s.cmd.Env, "GOMEMLIMIT="+v)
	}
	s.cmd.Stdin = bytes.NewReader(msg)
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.ExtraFiles = []*os.File{theirs, lf}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		s.conn.Close()
		return nil, fmt.Errorf("start the front door: %w", err)
	}
	go func() { s.exitErr = s.cmd.Wait(); close(s.exited) }()
	go func() { s.serveErr = k.Serve(ctx, s.conn); close(s.served) }()
	return s, nil
}

// Pid is the front door's process id.
func (s *Split) Pid() int { return s.cmd.Process.Pid }

// Wait returns when the front door exits, the keeper's conversation with
// it ends, or ctx is done; it then stops the front door (SIGTERM, then
// SIGKILL after grace) and returns why it ended (nil for ctx).
func (s *Split) Wait(ctx context.Context, grace time.Duration) error {
	var err error
	select {
	case <-s.exited:
		err = fmt.Errorf("front door exited: %v", s.exitErr)
	case <-s.served:
		err = s.serveErr
	case <-ctx.Done():
	}
	s.Stop(grace)
	return err
}

// Stop ends the front door (SIGTERM, SIGKILL after grace), then the
// keeper's conversation, which kills the workers it started.
func (s *Split) Stop(grace time.Duration) {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(grace):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.conn.Close()
	<-s.served
}

// Dirs makes the stores' directories the front door's: created, owned by
// front_door.uid with everything in them, and reachable by it (every directory above searchable
// by others). The state dir under /root is not: that is why the stores
// default to front_door.data_dir with the split.
func Dirs(cfg config.App) error {
	uid := cfg.FrontDoor.UID
	for _, d := range []struct{ key, dir string }{
		{"cache.results.dir", cfg.Cache.Results.Dir},
		{"cache.modules.dir", cfg.Cache.Modules.Dir},
		{"cache.shares.dir", cfg.Cache.Shares.Dir},
	} {
		if err := ownDir(d.key, d.dir, uid, cfg.FrontDoor.DataDir); err != nil {
			return err
		}
	}
	return nil
}

func ownDir(key, dir string, uid int, dataDir string) error {
	if dir == "" {
		return nil
	}
	// Directories made above it are others' to search (0755), not to
	// write; the store's own is the front door's alone (0700).
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("%s: %w", key, err)
	}
	// Everything in it is the front door's too: `run` and `parity`, as
	// root in one process, use the same stores and leave root's files
	// (and shard directories the front door could not write into).
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid == uint32(uid) && st.Gid == uint32(uid) {
			return nil
		}
		return os.Lchown(p, uid, uid)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	for d := filepath.Dir(filepath.Clean(dir)); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		switch {
		case st.Mode().Perm()&0o001 != 0:
		case within(d, dataDir):
			// The data dir is the service's own: a directory in it that
			// an older offline command made 0700 (as root) is opened for
			// search, not refused.
			if err := os.Chmod(d, st.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		default:
			return fmt.Errorf("%s %q: the front door (front_door.uid %d) cannot reach it: %s is not searchable by others; set %s outside it, or front_door.data_dir", key, dir, uid, d, key)
		}
		if d == "/" {
			return nil
		}
	}
}

// within says whether d is dataDir or below it.
func within(d, dataDir string) bool {
	if dataDir == "" {
		return false
	}
	rel, err := filepath.Rel(filepath.Clean(dataDir), filepath.Clean(d))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
