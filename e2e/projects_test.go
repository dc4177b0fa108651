package e2e

// End-to-end tests of issue 10's projects: cargo's environment at
// compile time, projects of several files, the project's files at run
// time, and the test harness — each through the HTTP API with real files.

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// A stub sees cargo's environment, rooted at the virtual root, so
// Rocket's relative!() (concat!(env!("CARGO_MANIFEST_DIR"), ...))
// compiles and names a path below it.
func TestProjectsCargoEnvironmentAtCompileTime(t *testing.T) {
	stub := `use rocket::fs::relative;
fn main() {
    println!("{}", env!("CARGO_MANIFEST_DIR"));
    println!("{}", relative!("static"));
    println!("{} {} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"), env!("CARGO_CRATE_NAME"));
    println!("{:?}", option_env!("HOME"));
}
`
	r, _ := execute(t, map[string]any{"harness": "program", "stub": stub})
	require.NotNil(t, r.Compile)
	require.True(t, r.Compile.Success, "compile: %s", r.Compile.Stderr)
	require.Equal(t, outcome.StatusOK, r.Status)
	assert.Equal(t, "/work\n/work/static\nmain 0.1.0 main\nNone\n", r.Run.Stdout,
		"cargo's variables at the virtual root; nothing of the host's environment")
}
