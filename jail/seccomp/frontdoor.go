package seccomp

import "golang.org/x/sys/unix"

// frontDoorHostile kill the front door besides the compile table's
// hostile calls: it runs no program and makes no process (compiles,
// rustfmt and workers are the keeper's), so exec and a fork are an
// exploit's next step.
var frontDoorHostile = []string{"execve", "execveat", "fork", "vfork"}

// FrontDoorTable returns the front door's policy (package frontdoor). It
// is a denylist, unlike the jail's: the front door is the service's own
// Go code (HTTP, JSON, caches on disk, Redis over TCP), whose system
// calls are Go's and the libraries' and change with them, so an
// allowlist would be a trace of today's paths that a rare one (a full
// disk, a Redis reconnect) could fail on. What it takes away is what an
// attacker who got code execution in the front door would use to go
// further and what the front door never needs: another program, a new
// process, the compile table's hostile calls (ptrace, mount, unshare,
// setns, bpf, keyctl, io_uring, module loading, ...), a clone with a
// namespace flag. Each kills the process. Calls of another ABI (i386,
// x32) kill it too.
func FrontDoorTable() []Rule {
	var rules []Rule
	for _, name := range append(append([]string{}, hostile...), frontDoorHostile...) {
		rules = append(rules, Rule{Name: name, Action: Kill})
	}
	rules = append(rules,
		// Threads only: a clone without CLONE_THREAD makes a process.
		Rule{Name: "clone", Action: Kill, Args: []Arg{{Index: 0, Op: OpMaskedEqual, Mask: unix.CLONE_THREAD, Value: 0}}},
		// clone3's flags are behind a pointer: ENOSYS, so Go falls back
		// to clone, which is checked.
		Rule{Name: "clone3", Action: Errno, Errno: unix.ENOSYS},
	)
	return append(rules, namespaceClonesKill()...)
}
