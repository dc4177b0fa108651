// Package worker runs wasm modules in run workers: long-lived processes of
// this binary, each started as a jail resident (jail.Resident: its own
// namespaces, an empty read-only root, uid 65534, no capabilities,
// no_new_privs, the resident seccomp policy — no open, no socket, no exec
// — and a memory cgroup sized for what it may hold). The service talks to
// each over a socketpair in a typed, length-framed protocol (wire.go):
// a run names its module by identity, and a worker is sent a module's
// bytes once and keeps it, with its compiled code, for the runs after.
//
// [Pool] is the service's side and implements the engine seam of package
// sandbox, so a request's path is the same with and without workers and
// gives the same bytes. serve is the worker's side: it runs each job on a
// runtime.Engine of its own, exactly as the service would in process.
//
// A worker runs untrusted code (the guest, through wazero), so the
// service treats what it sends as hostile: every frame is bounded, every
// field decoded strictly, and a worker that breaks the protocol, dies or
// hangs is killed and replaced. docs/security.md has the process model.
package worker
