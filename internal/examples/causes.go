package examples

import "strings"

// Causes are the known reasons an example does not reach parity, shown
// in the table beside the differences the run found (docs/design.md,
// "Rocket's examples: the project yardstick", says more).
var Causes = map[string]string{
	"tls":       "no TLS listener on the virtual socket: the guest serves the plain HTTP/1.1 connections the host hands it ([wasi-shims/README.md, `sandbox-vsock/`](../../wasi-shims/README.md#sandbox-vsock--the-guest-side-of-the-virtual-socket)), so Rocket's TLS config has nothing to apply to; the profile builds `mtls` and the Cargo.toml check takes only the features it lists, so `tls` is refused before anything compiles",
	"databases": "its Cargo.toml asks `rocket_db_pools` for `diesel_mysql` (and `main.rs` attaches a MySQL pool beside the three SQLite ones): MySQL needs a socket to a server, the guest has none, and the MySQL client crates do not build for wasm32-wasip1, so the profile does not build that feature and the check refuses it ([wasi-shims/README.md](../../wasi-shims/README.md)); natively its three tests use SQLite only and the MySQL pool is never connected. The same example without the MySQL stage passes its own tests in the sandbox (e2e `TestDatabaseExampleSQLiteFlavoursPassTheirOwnTests`)",
}

// Notes are what a reader should know about an example that has parity.
var Notes = map[string]string{
	"forms":   "no tests on either side: its `src/tests.rs` is not a module of `main.rs` at v0.5.1",
	"upgrade": "no tests upstream; its WebSocket routes compile (the renamed `ws = { package = \"rocket_ws\" }`) and answer `101 Switching Protocols` over the virtual socket (`serve` harness), but the frames after the upgrade are not exchanged: the run ends once every response is whole and Rocket's shutdown does not wait for the upgraded connection's task",
}

// CauseOf is row's cause: the known one, else, for a Cargo.toml the
// check refused for want of a crate or feature, that the profile lacks it.
func CauseOf(row Row) string {
	if c := Causes[row.Name]; c != "" {
		return c
	}
	if strings.Contains(row.Sandbox.Error, "prepared profile") {
		return "the prepared dependency profile (harnesses/deps/Cargo.toml) does not have it: issue 13, item 2, adds what the examples use"
	}
	return ""
}
