// Package keeper is the protocol of the privileged component of the
// privilege separation (docs/security.md, "Process model"): the only
// requests the unprivileged front door may make of the root keeper, how
// they are framed (package frame), and the policy the keeper checks every
// field of every request against before it acts on it.
//
// There are three requests and no others: compile (run one jail.Command
// in a compile jail: only a program the policy lists, with bounded
// arguments, environment and files, and limits within the jail's maxima —
// refused, never clamped, when above them), start a worker (only an entry
// the policy lists; the keeper decides the worker's memory, pids and
// descriptors itself) and kill a worker (only one the keeper started and
// that is still alive). A request says "start a compile jail with this
// policy for this job", never "run this command as root": whatever a
// compile request names still runs jailed, as the jail's unprivileged uid.
//
// Keeper.Serve is the keeper's loop; Client is the front door's side, a
// compiler.Runner and a worker.Starter, so the service's request path is
// the same with and without the split. A worker's connection reaches the
// front door as SCM_RIGHTS with the answer that names it.
package keeper
