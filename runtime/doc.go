// Package runtime owns guest execution: it runs an untrusted
// wasm32-wasip1 command module (a Rust binary with _start) in wazero and
// turns whatever the guest does into a Result.
//
// It owns the guest's whole world, and makes it deterministic: a frozen wall
// clock, a virtual monotonic clock that sleeping advances without waiting, a
// random source seeded per job, no environment variables, no directories,
// stdin from the job, capped stdout and stderr, a memory cap, a deadline, and
// the host side of the "sandbox_vsock" virtual socket that a guest web
// server listens on. The same Job run twice gives the same Result, except
// for the measured Duration and CPU.
//
// Callers import it under an alias, as its name shadows the standard
// library's:
//
//	import wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
package runtime
