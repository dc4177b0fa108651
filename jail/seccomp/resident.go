package seccomp

import "golang.org/x/sys/unix"

// residentAllowed are the unconditional allows of a resident: a Go
// process of this binary (the run worker: wazero running guest modules)
// that talks to the server over one inherited socket and does nothing
// else. Derived from a trace (strace -f of the worker tests' workers,
// counting each worker's calls after its filter is loaded; see
// docs/security.md), plus what the Go runtime does on paths a trace
// may miss (a new thread, a signal, exit); what it does only while it
// starts (reading /sys, sched_getaffinity, ...) happens before the filter.
var residentAllowed = [][]string{
	// The connection, and stderr for a panic's message. Only descriptors
	// it has: it cannot open, create or receive any.
	{"read", "write", "readv", "writev", "close", "fstat", "fcntl", "ppoll", "pselect6",
		"epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "eventfd2", "pipe2"},
	// Memory: the Go heap, guests' linear memory, and wazero's compiled
	// code (mmap'd, then mprotect'ed executable).
	{"mmap", "munmap", "mprotect", "madvise", "mremap", "brk"},
	// The Go runtime's threads, scheduling and signals (preemption is
	// SIGURG sent with tgkill to the process's own threads).
	{"futex", "sched_yield", "nanosleep", "clock_nanosleep", "gettid", "getpid", "tgkill",
		"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
		"set_robust_list", "rseq", "sched_getaffinity", "exit", "exit_group", "restart_syscall"},
	// Clocks (the vDSO's fallbacks), a run's CPU time (getrusage with
	// RUSAGE_THREAD) and the runtime's random seeds.
	{"clock_gettime", "clock_getres", "gettimeofday", "getrusage", "getrandom"},
}

// residentHostile kill a resident at once: nothing it does needs them, and
// each is how a compromised worker would reach further — a program
// (exec), the network or a local service (socket), another process, a
// namespace, the kernel's riskier interfaces.
var residentHostile = []string{
	"execve", "execveat", "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
	"sendmsg", "recvmsg", "sendto", "recvfrom",
	"fork", "vfork", "kill", "tkill", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"pidfd_open", "pidfd_getfd", "pidfd_send_signal",
}

// ResidentTable returns the resident policy (the run workers'): an
// allowlist far narrower than a compile's [Table]: no file is opened or
// created (open, openat, creat, mkdir, ... get EPERM), no socket made, no
// program executed, no process created other than the runtime's own
// threads; the compile table's hostile calls and the resident's own
// (residentHostile) kill the process.
func ResidentTable() []Rule {
	var rules []Rule
	for _, group := range residentAllowed {
		for _, name := range group {
			rules = append(rules, Rule{Name: name, Action: Allow})
		}
	}
	for _, name := range append(append([]string{}, hostile...), residentHostile...) {
		rules = append(rules, Rule{Name: name, Action: Kill})
	}
	rules = append(rules,
		// Threads only: clone with CLONE_THREAD and without namespace
		// flags (a namespace flag kills, below; a new process gets
		// EPERM). clone3's flags are behind a pointer: ENOSYS, so glibc
		// and Go fall back to clone.
		Rule{Name: "clone", Action: Allow, Args: []Arg{{Index: 0, Op: OpMaskedEqual,
			Mask: cloneNamespaceFlags | unix.CLONE_THREAD, Value: unix.CLONE_THREAD}}},
		Rule{Name: "clone3", Action: Errno, Errno: unix.ENOSYS},
		// The Go runtime names its mappings (PR_SET_VMA_ANON_NAME);
		// every other prctl gets EPERM (above all PR_SET_PDEATHSIG).
		Rule{Name: "prctl", Action: Allow, Args: []Arg{
			{Index: 0, Op: OpEqual, Value: unix.PR_SET_VMA},
			{Index: 1, Op: OpEqual, Value: unix.PR_SET_VMA_ANON_NAME},
		}},
	)
	return append(rules, namespaceClonesKill()...)
}
