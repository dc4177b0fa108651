package examples

// Causes are the known reasons an example does not reach parity, in the
// table beside the differences the run found. Each is also described in
// wasi-shims/README.md ("Rocket's examples") or docs/api.md.
var Causes = map[string]string{
	"tls": "no TLS listener on the virtual socket: the sandbox serves plain HTTP/1.1 connections the host hands in (wasi-shims/README.md, \"Rocket's examples\"); the profile builds `mtls`, the Cargo.toml check takes the features it lists and refuses `tls`",
}
