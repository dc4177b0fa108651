package frontdoor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/profiles"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/jail/seccomp"
	"github.com/rocket-sandbox/rocket-sandbox/keeper"
	"github.com/rocket-sandbox/rocket-sandbox/server"
	"github.com/rocket-sandbox/rocket-sandbox/web/guide"
)

// MaybeMain runs the front door and exits when this process was started
// as one (argv[1] is Arg); otherwise it returns at once. Call it first
// in main, and in the TestMain of a test binary that starts a split
// service.
func MaybeMain() {
	if len(os.Args) < 2 || os.Args[1] != Arg {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Main(ctx, os.Args[2:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "rocket-sandbox front-door:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Main is the front door: started by Start as root with its uid as the
// one argument, it gives root up and execs itself again (dropRoot); in
// that second program it checks it holds nothing (confined), loads its
// seccomp filter and serves HTTP on the inherited listener with
// compiles and workers from the keeper.
func Main(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: front-door UID (serve starts it)")
	}
	uid, err := strconv.Atoi(args[0])
	if err != nil || uid <= 0 {
		return fmt.Errorf("bad uid %q", args[0])
	}
	if os.Getuid() == 0 || os.Geteuid() == 0 {
		return dropRoot(uid)
	}
	if err := confined(uid); err != nil {
		return err
	}
	prog, err := seccomp.CompileFrontDoor()
	if err != nil {
		return err
	}
	if err := jail.LoadSeccomp(prog, unix.SECCOMP_FILTER_FLAG_TSYNC); err != nil {
		return err
	}
	return serve(ctx)
}

// dropRoot gives up root on this thread and execs the binary again from
// it, so the program that reads the network starts as one thread with
// this thread's credentials: the bounding set is each thread's, and the
// runtime's other threads, started before, would keep theirs. Order
// matters: the bounding set needs CAP_SETPCAP, so it goes before the
// uid; groups and gid need CAP_SETGID, so before the uid too; a change
// of uid clears the permitted and effective sets (no ambient ones, no
// keep-caps) and the parent-death signal, which is set again after it.
// It returns only on failure.
func dropRoot(uid int) error {
	runtime.LockOSThread() // never unlocked: this thread execs
	keeperPid := os.Getppid()
	if err := jail.DropBoundingSet(); err != nil {
		return err
	}
	// Raw system calls: Go's syscall.Setuid and friends change every
	// thread; these change this one, the one that execs.
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
		return fmt.Errorf("setresgid %d: %w", uid, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
		return fmt.Errorf("setresuid %d: %w", uid, e)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("parent-death signal: %w", err)
	}
	if os.Getppid() != keeperPid {
		return errors.New("the keeper has gone")
	}
	return fmt.Errorf("exec as uid %d: %w", uid, syscall.Exec("/proc/self/exe", os.Args, os.Environ()))
}

// confined refuses to serve unless the process is what dropRoot made:
// uid and gid in every slot, no groups, no capability in any set
// (bounding included) and no_new_privs.
func confined(uid int) error {
	r, e, s := unix.Getresuid()
	if r != uid || e != uid || s != uid {
		return fmt.Errorf("uids %d/%d/%d, want %d", r, e, s, uid)
	}
	r, e, s = unix.Getresgid()
	if r != uid || e != uid || s != uid {
		return fmt.Errorf("gids %d/%d/%d, want %d", r, e, s, uid)
	}
	if groups, err := unix.Getgroups(); err != nil || len(groups) != 0 {
		return fmt.Errorf("supplementary groups %v (%v), want none", groups, err)
	}
	if nnp, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err != nil || nnp != 1 {
		return fmt.Errorf("no_new_privs is not set (%v)", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capget: %w", err)
	}
	for _, d := range data {
		if d.Effective != 0 || d.Permitted != 0 || d.Inheritable != 0 {
			return fmt.Errorf("capabilities left: %+v", data)
		}
	}
	for c := 0; ; c++ {
		in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0)
		if err != nil { // past the last capability
			return nil
		}
		if in != 0 {
			return fmt.Errorf("capability %d is in the bounding set", c)
		}
	}
}

// serve reads the keeper's hello and serves HTTP until ctx ends.
func serve(ctx context.Context) error {
	b, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
	if err != nil {
		return fmt.Errorf("read the keeper's hello: %w", err)
	}
	var h hello
	if err := json.Unmarshal(b, &h); err != nil || h.Manifest == nil {
		return fmt.Errorf("bad hello from the keeper: %v", err)
	}
	if err := h.Config.Validate(); err != nil {
		return err
	}
	kf := os.NewFile(keeperFD, "keeper")
	c, err := net.FileConn(kf)
	kf.Close()
	if err != nil {
		return fmt.Errorf("keeper connection: %w", err)
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return errors.New("the keeper connection is not a unix socket")
	}
	client := keeper.NewClient(uc)
	defer client.Close()
	lf := os.NewFile(listenerFD, "listener")
	ln, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return fmt.Errorf("listener: %w", err)
	}
	// One JSON object per line, as serve's (server/observe.go).
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if h.PprofListen != "" {
		if err := profiles.Serve(h.PprofListen, log); err != nil {
			return err
		}
	}
	SetGoMemoryLimit(h.Config, log) // the caches are the front door's
	a, err := app.NewFrontDoor(ctx, h.Config, h.Manifest, h.Fingerprint, client)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	return ServeHTTP(ctx, h.Config, a, ln, log)
}

// SetGoMemoryLimit applies go_memory_limit_mb unless GOMEMLIMIT, the Go
// runtime's own variable, is set (then the runtime has applied it; Start
// passes it on to the front door).
func SetGoMemoryLimit(cfg config.App, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" || cfg.GoMemoryLimitMB == 0 {
		return
	}
	debug.SetMemoryLimit(cfg.GoMemoryLimitBytes())
	log.Debug("Go memory limit", "bytes", cfg.GoMemoryLimitBytes())
}

// ServeHTTP serves a's service on ln with cfg's server section until ctx
// ends, then shuts down within 30 s: serve's HTTP, in the front door or,
// without the split, in its one process.
func ServeHTTP(ctx context.Context, cfg config.App, a *app.App, ln net.Listener, log *slog.Logger) error {
	if err := guide.Check(cfg.Server.GuideDir); err != nil {
		// The rest is served; /guide/ says the same to its readers.
		log.Warn("no guide at /guide/ (server.guide_dir, serve --guide DIR)", "err", err)
	}
	srv := server.New(cfg.Server, a.Service(), log, server.WithMetrics(a.Metrics()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Listener(ln) }()
	log.Info("rocket-sandbox listening", "addr", "http://"+ln.Addr().String(), "uid", os.Getuid())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		log.Info("shutting down")
		return srv.ShutdownWithTimeout(30 * time.Second)
	}
}
