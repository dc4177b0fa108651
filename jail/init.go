package jail

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// initMarker is argv[1] of a re-executed jail init. Only the parent sets
// it, on a child it starts itself with the configuration pipe at fd 3.
const initMarker = "__rocket_jail_init"

// The init's inherited descriptors (os/exec ExtraFiles start at 3).
const (
	configFD = 3 // read end: the initConfig as JSON, then EOF = "go"
	statusFD = 4 // write end: an error message, or EOF at a successful exec
	workFD   = 5 // the job's detached work tmpfs (see newWorkMount)
)

// initFailedExit is the init's exit code when it fails before exec.
const initFailedExit = 125

// initConfig is everything the init needs, sent by the parent over the
// configuration pipe (never on the command line, where any process on the
// host could read it).
type initConfig struct {
	Path string   `json:"path"`
	Args []string `json:"args"`
	Env  []string `json:"env"`

	Hostname string `json:"hostname"`
	// NewRoot is a host directory (the state dir) on which the new root
	// tmpfs is mounted, in the job's mount namespace only.
	NewRoot  string   `json:"new_root"`
	ReadOnly []string `json:"read_only"`
	TmpBytes int64    `json:"tmp_bytes"`

	UID int `json:"uid"`
	GID int `json:"gid"`

	CPUSeconds    uint64 `json:"cpu_seconds"`
	FileSizeBytes uint64 `json:"file_size_bytes"`
	OpenFiles     uint64 `json:"open_files"`

	// Seccomp is the compiled BPF program (struct sock_filter[]).
	Seccomp []byte `json:"seccomp"`

	// Entry, when set, makes the job a resident (see [Resident]): instead
	// of exec'ing Path, the init runs the registered function of that
	// name itself, in an empty root, with its connection at workFD.
	Entry string `json:"entry,omitempty"`
}

// MaybeInit runs the jail init when this process is one, and never returns
// then; otherwise it returns at once. Every binary that creates a [Jail]
// must call it first thing in main (and test binaries in TestMain), before
// anything else runs: the jail re-executes its own binary (/proc/self/exe)
// as the init of each job.
func MaybeInit() {
	if len(os.Args) < 2 || os.Args[1] != initMarker {
		return
	}
	// Capabilities, no_new_privs and the seccomp filter are per-thread:
	// do every step on the one thread that will call execve, whose
	// state the target inherits (execve ends the runtime's other threads).
	runtime.LockOSThread()
	err := runInit()
	status := os.NewFile(statusFD, "status")
	_, _ = status.WriteString(err.Error())
	os.Exit(initFailedExit)
}

// runInit sets up the sandbox and execs the target. It returns only on
// failure. The process is PID 1 of new mount, PID, network, IPC, UTS and
// cgroup namespaces (the parent's clone flags), already in the job's
// cgroup (the parent added it before sending the configuration), running
// as host root.
func runInit() error {
	// 1. Configuration. Reading it blocks until the parent has placed us
	// in the job's cgroup, so nothing below runs unaccounted.
	var cfg initConfig
	cf := os.NewFile(configFD, "config")
	if err := json.NewDecoder(cf).Decode(&cfg); err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	cf.Close()

	// A resident's function must exist before anything is set up for it.
	entry, isResident := entries[cfg.Entry]
	if cfg.Entry != "" && !isResident {
		return fmt.Errorf("no resident entry %q in this binary", cfg.Entry)
	}

	// 2. The file system: a new root with only what the job needs, then
	// pivot_root into it (see buildRoot); a resident's is empty.
	build := buildRoot
	if isResident {
		build = buildEmptyRoot
	}
	if err := build(&cfg); err != nil {
		return err
	}

	// 3. The host name, so nothing of the host's leaks through uname.
	if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	// The network namespace is new: it has only lo, down. Nothing to do.

	// 4. Resource limits of each process (the cgroup bounds the whole
	// tree). CPU: soft at the budget (SIGXCPU), hard a second later
	// (SIGKILL). No core dumps: they would fill /work with our memory.
	type rlimit struct {
		res      int
		cur, max uint64
		what     string
	}
	var cpu []rlimit
	if cfg.CPUSeconds > 0 { // a resident has none: its work is bounded per run
		cpu = append(cpu, rlimit{unix.RLIMIT_CPU, cfg.CPUSeconds, cfg.CPUSeconds + 1, "cpu"})
	}
	for _, rl := range append(cpu, []rlimit{
		{unix.RLIMIT_FSIZE, cfg.FileSizeBytes, cfg.FileSizeBytes, "fsize"},
		// syscall.Setrlimit (not unix.) also tells the Go runtime not
		// to restore its startup NOFILE limit at exec.
		{unix.RLIMIT_NOFILE, cfg.OpenFiles, cfg.OpenFiles, "nofile"},
		{unix.RLIMIT_CORE, 0, 0, "core"},
	}...) {
		if err := syscall.Setrlimit(rl.res, &syscall.Rlimit{Cur: rl.cur, Max: rl.max}); err != nil {
			return fmt.Errorf("setrlimit %s: %w", rl.what, err)
		}
	}

	// 5. No descriptor but stdio reaches the target: everything else
	// closes at exec (the status pipe too, which tells the parent the
	// exec happened). A resident does not exec: it has only what the
	// parent passed (stdio, its connection, the status pipe, closed
	// below) and the Go runtime's own poller descriptors.
	if !isResident {
		if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
			return fmt.Errorf("close_range: %w", err)
		}
	}

	// 6. Identity. The capability bounding set is emptied first (that
	// needs CAP_SETPCAP, which setuid takes away), so nothing the job
	// execs can ever regain a capability. Then no supplementary groups,
	// and the unprivileged gid and uid (real, effective and saved: no way
	// back). Leaving uid 0 clears the permitted and effective sets; the
	// inheritable and ambient sets are cleared explicitly.
	if err := DropBoundingSet(); err != nil {
		return err
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setresgid(cfg.GID, cfg.GID, cfg.GID); err != nil {
		return fmt.Errorf("setresgid: %w", err)
	}
	if err := syscall.Setresuid(cfg.UID, cfg.UID, cfg.UID); err != nil {
		return fmt.Errorf("setresuid: %w", err)
	}
	var noCaps [2]unix.CapUserData
	if err := unix.Capset(&unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}, &noCaps[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}

	// 7. Die with the parent. The credential change just cleared the
	// parent-death signal set at clone, so set it again, then check the
	// parent did not die in between: with no reader left on the status
	// pipe, poll reports an error on our end.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("pdeathsig: %w", err)
	}
	fds := []unix.PollFd{{Fd: statusFD, Events: unix.POLLOUT}}
	if _, err := unix.Poll(fds, 0); err == nil && fds[0].Revents&unix.POLLERR != 0 {
		os.Exit(initFailedExit)
	}

	// 8. no_new_privs: no setuid bit or file capability can raise the
	// privileges of anything the job execs (and seccomp requires it).
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}

	// 9. seccomp, last: from here on every system call, this code's too,
	// goes through the filter, so loading it earlier would mean allowing
	// mount, pivot_root, sethostname, setuid... only for the setup's
	// sake. Only exec (allowed) follows. It is loaded on this thread only
	// (no TSYNC): exec makes this thread the process. A resident does not
	// exec, so its filter goes on every thread of the process at once
	// (TSYNC, which also sets no_new_privs on each).
	if isResident {
		if err := LoadSeccomp(cfg.Seccomp, unix.SECCOMP_FILTER_FLAG_TSYNC); err != nil {
			return err
		}
		return runResident(entry)
	}
	if err := LoadSeccomp(cfg.Seccomp, 0); err != nil {
		return err
	}

	// 10. Exec the target with exactly the command's environment; it
	// becomes PID 1 of the job's PID namespace, and when it exits the
	// kernel kills whatever else is left in it.
	argv := append([]string{cfg.Path}, cfg.Args...)
	env := cfg.Env
	if env == nil {
		env = []string{}
	}
	err := syscall.Exec(cfg.Path, argv, env)
	return fmt.Errorf("exec %s: %w", cfg.Path, err)
}

// buildRoot makes the job's file system and moves into it:
//
//   - every mount made private, so nothing propagates back to the host;
//   - a new root on a small tmpfs (on cfg.NewRoot, seen only here);
//   - /work: the job's work tmpfs, created and filled by the parent as a
//     detached mount (nosuid, nodev, noexec) and attached here;
//   - /tmp: a fresh size-capped tmpfs, nosuid, nodev, noexec;
//   - /dev: a read-only tmpfs holding bind mounts of the host's null, zero
//     and urandom, and the fd/stdin/stdout/stderr symlinks;
//   - /proc: a fresh proc for the new PID namespace, showing only the
//     job's processes and, with subset=pid, none of the host-wide files
//     (kallsyms, sched_debug, /proc/sys, ...). rustc and rust-lld read
//     /proc/self/{exe,maps,statm}, so it is needed;
//   - each read-only path bound at its own path, read-only, nosuid,
//     nodev (or recreated as the same symlink);
//   - no /sys, no /etc, no home directories, nothing else of the host;
//   - pivot_root into the new root (unlike chroot, the old root is then
//     unmounted and unreachable: no .. or fd escape leads back), the
//     new root remounted read-only, and the working directory /work.
func buildRoot(cfg *initConfig) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	root := cfg.NewRoot
	if err := unix.Mount("tmpfs", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m,nr_inodes=4096,mode=0755"); err != nil {
		return fmt.Errorf("mount new root: %w", err)
	}
	for _, d := range []string{"work", "tmp", "dev", "proc"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("mkdir /%s: %w", d, err)
		}
	}

	// /work
	if err := unix.MoveMount(workFD, "", unix.AT_FDCWD, filepath.Join(root, "work"), unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attach /work: %w", err)
	}

	// /tmp
	if err := unix.Mount("tmpfs", filepath.Join(root, "tmp"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC,
		fmt.Sprintf("size=%d,nr_inodes=%d,mode=1777", cfg.TmpBytes, max(cfg.TmpBytes/4096, 64))); err != nil {
		return fmt.Errorf("mount /tmp: %w", err)
	}

	// /dev
	dev := filepath.Join(root, "dev")
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "size=64k,nr_inodes=64,mode=0755"); err != nil {
		return fmt.Errorf("mount /dev: %w", err)
	}
	for _, name := range []string{"null", "zero", "urandom"} {
		node := filepath.Join(dev, name)
		if err := os.WriteFile(node, nil, 0o666); err != nil {
			return fmt.Errorf("create /dev/%s: %w", name, err)
		}
		if err := unix.Mount("/dev/"+name, node, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/%s: %w", name, err)
		}
		if err := unix.Mount("", node, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NOEXEC, ""); err != nil {
			return fmt.Errorf("remount /dev/%s: %w", name, err)
		}
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return fmt.Errorf("symlink /dev/%s: %w", name, err)
		}
	}
	if err := unix.Mount("", dev, "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("remount /dev read-only: %w", err)
	}

	// /proc
	if err := unix.Mount("proc", filepath.Join(root, "proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "subset=pid"); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}

	// The read-only paths, parents first (the policy sorted them).
	for _, p := range cfg.ReadOnly {
		if err := bindReadOnly(root, p); err != nil {
			return err
		}
	}

	if err := pivotInto(root, 0); err != nil {
		return err
	}
	if err := unix.Chdir("/work"); err != nil {
		return fmt.Errorf("chdir /work: %w", err)
	}
	return nil
}

// pivotInto makes root the root of this mount namespace and remounts it
// read-only, nosuid, nodev and the extra flags. pivot_root(".", "."):
// the old root ends up on top of the new one at /, from where it is
// detached; no directory for it is needed.
func pivotInto(root string, flags uintptr) error {
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("chdir new root: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|flags, ""); err != nil {
		return fmt.Errorf("remount / read-only: %w", err)
	}
	return nil
}

// bindReadOnly mounts host path p at root+p read-only: MS_BIND, then a
// bind remount that sets MS_RDONLY|MS_NOSUID|MS_NODEV (a bind mount
// ignores those flags when it is created).
func bindReadOnly(root, p string) error {
	st, err := os.Lstat(p)
	if err != nil {
		return fmt.Errorf("read-only path %s: %w", p, err)
	}
	dst := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("mount point for %s: %w", p, err)
	}
	switch {
	case st.Mode()&os.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err == nil {
			err = os.Symlink(target, dst)
		}
		if err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("symlink %s: %w", p, err)
		}
		return nil
	case st.IsDir():
		if err := os.Mkdir(dst, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("mount point for %s: %w", p, err)
		}
	default:
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("mount point for %s: %w", p, err)
		}
		if f != nil {
			f.Close()
		}
	}
	if err := unix.Mount(p, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s: %w", p, err)
	}
	if err := unix.Mount("", dst, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("remount %s read-only: %w", p, err)
	}
	return nil
}

// dropBoundingSet removes every capability from this thread's bounding set.
func DropBoundingSet() error {
	for c := 0; ; c++ {
		err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0)
		if errors.Is(err, unix.EINVAL) {
			// Past the last capability the kernel knows.
			if c == 0 {
				return errors.New("drop bounding set: no capabilities known")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("drop bounding set %d: %w", c, err)
		}
	}
}

// LoadSeccomp installs a compiled filter (jail/seccomp) on this thread
// (with SECCOMP_FILTER_FLAG_TSYNC in flags: on every thread of the
// process). no_new_privs must be set first, unless the caller has
// CAP_SYS_ADMIN.
func LoadSeccomp(prog []byte, flags uintptr) error {
	if len(prog) == 0 || len(prog)%8 != 0 || len(prog)/8 > 0xffff {
		return errors.New("seccomp: bad program")
	}
	filter := make([]unix.SockFilter, len(prog)/8)
	for i := range filter {
		b := prog[i*8:]
		filter[i] = unix.SockFilter{
			Code: binary.NativeEndian.Uint16(b[0:]),
			Jt:   b[2],
			Jf:   b[3],
			K:    binary.NativeEndian.Uint32(b[4:]),
		}
	}
	fprog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return fmt.Errorf("seccomp: load: %w", errno)
	}
	if r != 0 {
		// TSYNC names the thread it could not synchronize.
		return fmt.Errorf("seccomp: load: thread %d could not take the filter", r)
	}
	runtime.KeepAlive(filter)
	return nil
}
