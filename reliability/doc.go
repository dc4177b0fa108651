// Package reliability holds the fault and load tests of the service as a
// process (`make reliability`; `make test` runs them too): the real binary
// is built once and started with `serve` on a loopback port, then loaded
// past its admission bounds, killed with SIGKILL mid-compile and mid-run
// and restarted, and run over the guide corpus twice across a restart with
// the two wazero engines. What each asserts, and the figures it logs, are
// tabulated in docs/reliability.md.
package reliability
