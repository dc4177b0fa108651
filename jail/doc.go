// Package jail runs one command on untrusted-derived input (rustc compiling
// a user's Rust source, and the linker rustc spawns) inside a sandbox that
// the service builds itself from kernel primitives: no container runtime,
// no daemon, no Docker. Its seam is [Command] in, [Result] out; [Jail] is
// the sandbox, [Host] the unisolated baseline used by benchmarks and for
// debugging.
//
// # Threat
//
// rustc and LLVM parse and optimise attacker-chosen programs; a compiler
// or linker bug may become code execution in the compiling process, and
// ordinary programs can already make a compiler exhaust memory, CPU, disk
// or time. The jail assumes the job's processes are hostile and keeps them
// from: reading anything of the host but the read-only toolchain (no
// /etc, /home, /root, /sys, no other job's files), writing anywhere but its
// own size-capped /work and /tmp, executing what it wrote, the network
// (an empty network namespace, and no IP sockets at all), seeing or
// signalling any other process, gaining privileges (no capabilities,
// no_new_privs, nosuid mounts, an unprivileged uid), reaching the risky
// parts of the kernel (seccomp), exhausting the machine (cgroup memory,
// pids and CPU; rlimits; output caps; a wall-time deadline) and outliving
// its job (the whole cgroup is killed, the PID namespace dies with its
// PID 1, and the job dies with the server).
//
// # How a job runs
//
// In the server, [Jail.Run]:
//
//  1. clamps the command's limits to the policy ([ClampLimits]);
//  2. creates the work directory as a detached, size-capped tmpfs
//     (fsopen/fsmount: a mount that is attached nowhere on the host) and
//     writes Command.Files into it through its descriptor;
//  3. creates the job's cgroup (memory and memory+swap, pids, CPU quota;
//     github.com/containerd/cgroups/v3, v1 or v2 as cgroups.Mode() says);
//  4. re-executes its own binary (/proc/self/exe, argv[1] a marker) as the
//     job's init, in new mount, PID, network, IPC, UTS and cgroup
//     namespaces, with SIGKILL as its parent-death signal, an empty
//     environment, and three descriptors: the configuration pipe, the
//     status pipe and the work mount (on v2 it is cloned straight into
//     the cgroup);
//  5. adds the init to the cgroup (v1), then sends the configuration as
//     JSON over the pipe; the init does nothing before it arrives, so all
//     of the job runs in the cgroup;
//  6. supervises: output capped per stream, the wall-time deadline, the
//     cgroup's CPU time; at any limit it kills the whole cgroup (v1: freeze,
//     SIGKILL every member, thaw; v2: cgroup.kill);
//  7. after the init (the target, by then) exits, reads peak memory, CPU
//     time and OOM kills from the cgroup, reads Command.Collect through the
//     work mount's descriptor (openat2 beneath it, no symlinks, regular
//     files only, size-capped), then closes it (freeing the tmpfs) and
//     removes the cgroup.
//
// In the init ([MaybeInit], which the binary's main calls first), in order:
//
//  1. lock to one OS thread (capabilities, no_new_privs and seccomp are
//     per-thread; execve makes this thread the whole process);
//  2. read the configuration (this is the wait for the cgroup);
//  3. build the file system: everything made private; a new root on a
//     small tmpfs; /work attached from the work mount (nosuid, nodev,
//     noexec); /tmp a fresh capped tmpfs (nosuid, nodev, noexec); /dev a
//     read-only tmpfs with bind mounts of null, zero and urandom; /proc a
//     fresh proc of the job's PID namespace (subset=pid: no host-wide
//     files); each read-only path bound at its own path (MS_BIND, then a
//     remount MS_RDONLY|MS_NOSUID|MS_NODEV); pivot_root into it, the old
//     root detached, the new root read-only, the working directory /work;
//  4. set the host name;
//  5. set RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE and RLIMIT_CORE=0;
//  6. mark every descriptor but stdio close-on-exec;
//  7. drop the capability bounding set, then setgroups to none, setresgid
//     and setresuid to the policy's unprivileged ids, clear the
//     inheritable and ambient capabilities;
//  8. set the parent-death signal again (the credential change cleared it)
//     and exit if the parent is already gone;
//  9. set no_new_privs;
//  10. load the seccomp filter, last, so that the setup above needs none of
//     the calls the filter forbids;
//  11. exec the target with exactly Command.Env. It is PID 1 of the job's
//     PID namespace: when it exits the kernel kills whatever is left there.
//
// The seccomp policy is an allowlist kept as a reviewable table in package
// [github.com/rocket-sandbox/rocket-sandbox/jail/seccomp] (the
// only cgo); it is compiled to BPF once, in [New], and the init loads the
// raw program.
//
// # Residents
//
// [Jail.Start] starts a [Resident]: a long-lived jailed process (the run
// workers) that runs a function of this binary registered with
// [RegisterEntry] instead of exec'ing a program. Its init does the steps
// above with three differences: the root is an empty read-only tmpfs
// (step 3), there is no RLIMIT_CPU (step 5), and instead of exec'ing it
// loads the resident seccomp table (seccomp.ResidentTable: no open, no
// socket, no exec) with SECCOMP_FILTER_FLAG_TSYNC, on every thread of
// the Go runtime, closes the status pipe (the parent's "ready") and
// calls the function with its connection. The parent keeps a [Process]
// to kill it and to learn how it ended (its cgroup's OOM kills).
//
// # No user namespace
//
// The jail does not use a user namespace; the init runs as real root until
// it drops to the policy's uid. That is deliberate. What a user namespace
// adds is that "root" inside is not root outside, but the job never is
// root: it runs with an unprivileged uid, no capabilities in any set (the
// bounding set empty), no_new_privs, nosuid mounts, and a seccomp filter
// that kills any attempt to create namespaces (unshare, setns, clone with
// CLONE_NEW*, clone3). Using one would cost: a host uid range reserved
// for in-namespace root, locked mount flags to carry through every
// read-only remount, "fully visible" constraints on mounting /proc,
// ownership mapping of the work directory, and more kernel code reachable
// by the init. The privileged part is the init's own setup code, which
// runs no untrusted input.
//
// # Requirements
//
// Root; Linux 5.9 or later (fsmount/move_mount, openat2, proc's subset=pid,
// close_range); cgroup v1 with the memory, pids, cpu, cpuacct and freezer
// controllers, or cgroup v2 with memory, pids and cpu delegable below the
// parent (cgroup.kill needs 5.14, memory.peak 5.19). Every binary that
// creates a Jail must call [MaybeInit] first thing in main, and test
// binaries in TestMain: the jail re-executes the binary as the init, and a
// binary that does not call it would start a second server instead. Keep
// the binary's package initialisers light: they run again in every job's
// init, before MaybeInit.
package jail
