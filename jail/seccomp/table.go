// Package seccomp holds the jail's system-call policy: a reviewable table
// (this file, pure Go) and its compilation to a classic-BPF program
// (bpf.go, the only cgo in the jail, via libseccomp).
//
// The program is compiled once, in the server, when a jail is created; the
// jail's init loads the raw BPF with seccomp(2) right before exec, so the
// init needs no libseccomp and the per-job cost is one system call.
//
// The policy is an allowlist. What a compiler needs was found by running
// /usr/bin/rustc (1.96, native and wasm32-wasip1 targets) and the linkers
// it spawns (rust-lld for wasm; cc, collect2 and ld for native) under
// strace -f, then adding what /bin/sh, coreutils and a Go program (the
// tests' helper) use. Anything else fails with EPERM; the hostile calls,
// which nothing legitimate in a compile job makes, kill the whole
// process instead, so an exploit gets no second try and the death
// (SIGSYS) is visible in the result.
package seccomp

import "golang.org/x/sys/unix"

// Op compares one system-call argument.
type Op int

const (
	// OpEqual matches when arg == Value.
	OpEqual Op = iota + 1
	// OpNotEqual matches when arg != Value.
	OpNotEqual
	// OpMaskedEqual matches when arg&Mask == Value.
	OpMaskedEqual
)

// Arg is a condition on argument Index (0-based) of a system call.
type Arg struct {
	Index uint
	Op    Op
	Value uint64
	Mask  uint64 // only for OpMaskedEqual
}

// Action is what the filter does when a rule matches.
type Action int

const (
	// Allow lets the call run.
	Allow Action = iota + 1
	// Errno fails the call with the rule's Errno.
	Errno
	// Kill kills the whole process (SECCOMP_RET_KILL_PROCESS).
	Kill
)

// Rule is one row of the table: a call, the action, and the conditions
// (all must hold) under which the action applies. Without conditions the
// action is unconditional.
type Rule struct {
	Name   string
	Action Action
	Errno  unix.Errno // for Action == Errno
	Args   []Arg
	// Optional marks calls that an older libseccomp may not know by name;
	// such a rule is skipped there (which fails closed: the call gets
	// the default EPERM).
	Optional bool
}

// DefaultErrno is what any call not in the table returns.
const DefaultErrno = unix.EPERM

// cloneNamespaceFlags are the clone(2) flags that create namespaces. A job
// must not create any: new user namespaces hand out capabilities over new
// kernel code paths, and the others would let it escape its own.
// CLONE_NEWTIME is not here: in clone(2) (not clone3) 0x80 is part of the
// exit-signal byte, so the kernel cannot see it as a flag.
const cloneNamespaceFlags = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET

// allowed are the unconditional allows, grouped by what they are for.
var allowed = [][]string{
	// File I/O and metadata. Writes are bounded by the mounts (read-only
	// toolchain, size-capped /work and /tmp) and RLIMIT_FSIZE, not here.
	{"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
		"open", "openat", "openat2", "creat", "close", "close_range", "lseek",
		"stat", "fstat", "lstat", "newfstatat", "statx", "statfs", "fstatfs",
		"access", "faccessat", "faccessat2", "readlink", "readlinkat", "getdents", "getdents64",
		"mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
		"link", "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat",
		"chown", "fchown", "lchown", "fchownat", "truncate", "ftruncate", "fallocate",
		"fsync", "fdatasync", "sync_file_range", "flock", "fcntl", "dup", "dup2", "dup3",
		"pipe", "pipe2", "getcwd", "chdir", "fchdir", "umask",
		"utime", "utimes", "utimensat", "futimesat",
		// Reading extended attributes (ls -l asks for ACLs); setting
		// them is not allowed.
		"getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr",
		"sendfile", "copy_file_range", "splice", "tee", "fadvise64", "readahead",
		// ioctl is unrestricted: a job has no terminal (stdio are pipes,
		// no /dev/tty or /dev/pts), so TIOCSTI-style injection has no
		// target, and the kernel gates it behind CAP_SYS_ADMIN anyway.
		"ioctl"},
	// Waiting on descriptors.
	{"poll", "ppoll", "select", "pselect6",
		"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
		"eventfd", "eventfd2"},
	// Memory.
	{"brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "msync", "mincore", "membarrier"},
	// Threads, processes and signals. fork/vfork/clone create processes
	// (rustc spawns the linker with posix_spawn); they stay inside the job's
	// PID namespace and cgroup. kill reaches only the job's own processes.
	{"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
		"set_tid_address", "set_robust_list", "get_robust_list", "rseq",
		"futex", "gettid", "getpid", "getppid", "getpgrp", "getpgid", "setpgid", "getsid", "setsid",
		"kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend",
		"rt_sigtimedwait", "rt_sigpending", "sigaltstack", "pause", "restart_syscall",
		"nanosleep", "clock_nanosleep", "sched_yield", "sched_getaffinity", "sched_setaffinity",
		"sched_getparam", "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min",
		"getpriority", "setpriority", "getcpu",
		// pidfds reach only processes the job can see (its own PID
		// namespace); newer glibc and Rust std use them around spawn.
		"pidfd_open", "pidfd_send_signal",
		// Resource limits can only be lowered (raising a hard limit needs
		// CAP_SYS_RESOURCE, which the job does not have).
		"prlimit64", "getrlimit", "setrlimit", "getrusage", "times", "sysinfo",
		"uname", "arch_prctl", "capget",
		"getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid", "getresgid"},
	// Time, timers and randomness.
	{"clock_gettime", "clock_getres", "gettimeofday", "time", "getrandom",
		"alarm", "getitimer", "setitimer", "timer_create", "timer_settime", "timer_gettime",
		"timer_getoverrun", "timer_delete", "timerfd_create", "timerfd_settime", "timerfd_gettime"},
	// Sockets: creation is restricted to AF_UNIX below (the network namespace
	// is empty anyway); these operate on sockets that exist.
	{"connect", "accept", "accept4", "bind", "listen", "sendto", "recvfrom", "sendmsg", "recvmsg",
		"sendmmsg", "recvmmsg", "shutdown", "getsockname", "getpeername", "setsockopt", "getsockopt"},
}

// hostile are calls no compile job makes and that an escape would: they
// kill the process. (Most would also fail for lack of capabilities; seccomp
// makes that independent of the kernel's capability checks, and closes the
// ones that need none, e.g. unshare(CLONE_NEWUSER), keyctl, ptrace.)
var hostile = []string{
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	"mount", "umount2", "pivot_root", "chroot", "mount_setattr",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"unshare", "setns",
	"bpf", "perf_event_open", "userfaultfd",
	"keyctl", "add_key", "request_key",
	"kexec_load", "kexec_file_load", "reboot", "init_module", "finit_module", "delete_module",
	"open_by_handle_at", "name_to_handle_at",
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	"swapon", "swapoff", "acct", "quotactl", "iopl", "ioperm", "syslog",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "vhangup",
}

// Table returns the whole policy as rules, in a fixed order.
func Table() []Rule {
	var rules []Rule
	for _, group := range allowed {
		for _, name := range group {
			rules = append(rules, Rule{Name: name, Action: Allow})
		}
	}
	for _, name := range []string{"fchmodat2", "futex_waitv"} {
		rules = append(rules, Rule{Name: name, Action: Allow, Optional: true})
	}
	for _, name := range hostile {
		rules = append(rules, Rule{Name: name, Action: Kill})
	}
	rules = append(rules,
		// Threads and posix_spawn use clone without namespace flags.
		Rule{Name: "clone", Action: Allow, Args: []Arg{{Index: 0, Op: OpMaskedEqual, Mask: cloneNamespaceFlags, Value: 0}}},
		// clone3 passes its flags behind a pointer, which seccomp cannot
		// read, so it cannot be checked for namespace flags. ENOSYS (not
		// EPERM) makes glibc and Go fall back to clone(2), which is checked.
		Rule{Name: "clone3", Action: Errno, Errno: unix.ENOSYS},
		// Only local sockets; other families get a distinct errno so a
		// program (and the tests) can tell the policy from the network.
		Rule{Name: "socket", Action: Allow, Args: []Arg{{Index: 0, Op: OpEqual, Value: unix.AF_UNIX}}},
		Rule{Name: "socket", Action: Errno, Errno: unix.EAFNOSUPPORT, Args: []Arg{{Index: 0, Op: OpNotEqual, Value: unix.AF_UNIX}}},
		Rule{Name: "socketpair", Action: Allow, Args: []Arg{{Index: 0, Op: OpEqual, Value: unix.AF_UNIX}}},
		// personality(2) only to query or set the default (glibc and
		// setarch probe it); other personas re-enable legacy layouts
		// such as READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE.
		// mknod only for FIFOs (device nodes need CAP_MKNOD anyway, and
		// the job must not probe for them).
		Rule{Name: "mknod", Action: Allow, Args: []Arg{{Index: 1, Op: OpMaskedEqual, Mask: unix.S_IFMT, Value: unix.S_IFIFO}}},
		Rule{Name: "mknodat", Action: Allow, Args: []Arg{{Index: 2, Op: OpMaskedEqual, Mask: unix.S_IFMT, Value: unix.S_IFIFO}}},
		Rule{Name: "personality", Action: Allow, Args: []Arg{{Index: 0, Op: OpEqual, Value: 0}}},
		Rule{Name: "personality", Action: Allow, Args: []Arg{{Index: 0, Op: OpEqual, Value: 0xffffffff}}},
	)
	// prctl only for naming: what a compile job was seen to call after
	// exec (tracing sys_enter_prctl during compiles of Rocket stubs and of
	// TestRustc): rustc's and LLVM's threads name themselves
	// (PR_SET_NAME, through pthread_setname_np), and the Go runtime (the
	// tests' helper; glibc with its decorate_maps tunable) names its
	// anonymous mappings (PR_SET_VMA, PR_SET_VMA_ANON_NAME). Everything
	// else gets the default EPERM: above all PR_SET_PDEATHSIG, with which a
	// compromised compiler could clear the SIGKILL the init set for when
	// the service dies, and PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE,
	// PR_SET_PTRACER, PR_SET_MM, PR_SET_SECCOMP.
	for _, op := range []uint64{unix.PR_SET_NAME, unix.PR_GET_NAME} {
		rules = append(rules, Rule{Name: "prctl", Action: Allow, Args: []Arg{{Index: 0, Op: OpEqual, Value: op}}})
	}
	rules = append(rules, Rule{Name: "prctl", Action: Allow, Args: []Arg{
		{Index: 0, Op: OpEqual, Value: unix.PR_SET_VMA},
		{Index: 1, Op: OpEqual, Value: unix.PR_SET_VMA_ANON_NAME},
	}})
	return append(rules, namespaceClonesKill()...)
}

// namespaceClonesKill are the rules that kill any clone with a namespace
// flag: one rule per flag, since a masked comparison tests one pattern.
func namespaceClonesKill() []Rule {
	var rules []Rule
	for bit := uint64(1); bit != 0; bit <<= 1 {
		if bit&cloneNamespaceFlags != 0 {
			rules = append(rules, Rule{Name: "clone", Action: Kill, Args: []Arg{{Index: 0, Op: OpMaskedEqual, Mask: bit, Value: bit}}})
		}
	}
	return rules
}
