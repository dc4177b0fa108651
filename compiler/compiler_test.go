package compiler

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

func TestParseDiagnosticsKeepsStructureAndText(t *testing.T) {
	stderr := strings.Join([]string{
		`{"$message_type":"diagnostic","message":"mismatched types","level":"error","spans":[{"file_name":"/dep/src/lib.rs","line_start":9,"column_start":1,"is_primary":false},{"file_name":"main.rs","line_start":2,"column_start":18,"is_primary":true}],"rendered":"error[E0308]: mismatched types\n --> main.rs:2:18\n"}`,
		`{"$message_type":"diagnostic","message":"unused variable: ` + "`x`" + `","level":"warning","spans":[],"rendered":"warning: unused variable\n"}`,
		`thread 'rustc' panicked at an ICE`,
	}, "\n")
	diags, text := parseDiagnostics([]byte(stderr), 10)
	require.Len(t, diags, 2)
	assert.Equal(t, outcome.Diagnostic{Level: "error", Message: "mismatched types", Line: 2, Column: 18}, diags[0])
	assert.Equal(t, "warning", diags[1].Level)
	assert.Zero(t, diags[1].Line, "no span in main.rs, no position")
	assert.True(t, strings.HasPrefix(text, "error[E0308]: mismatched types\n --> main.rs:2:18\n"), "each message's rendered text, in order: %q", text)
	assert.Contains(t, text, "thread 'rustc' panicked at an ICE", "plain lines are kept as they are")
}

func TestParseDiagnosticsCapsTheStructuredItems(t *testing.T) {
	line := `{"message":"m","level":"error","spans":[],"rendered":"e\n"}`
	diags, text := parseDiagnostics([]byte(strings.Repeat(line+"\n", 50)), 5)
	assert.Len(t, diags, 5)
	assert.Equal(t, 50, strings.Count(text, "e\n"), "the text keeps every message")
}

func TestArgsComeOnlyFromTheManifest(t *testing.T) {
	m := &toolchain.Manifest{
		Rustc: "/usr/bin/rustc", Sysroot: "/s", TargetDeps: "/t", HostDeps: "/h",
		Externs:  map[string]string{"rocket": "/t/librocket.rlib", "serde": "/t/libserde.rlib"},
		LinkArgs: []string{"-C", "linker=/usr/bin/wasm-ld-22"},
	}
	args := New(m, m.Wasm(), nil, Config{}).Args("2018")
	joined := strings.Join(args, " ")
	assert.Contains(t, joined, "--edition 2018")
	assert.Contains(t, joined, "--extern rocket=/t/librocket.rlib --extern serde=/t/libserde.rlib", "sorted, so the argv is stable")
	assert.Equal(t, []string{"main.rs", "-o", "main.wasm"}, args[len(args)-3:])
	assert.Contains(t, joined, "-C opt-level=0 -C codegen-units=16")
	assert.Equal(t, []string{"-C", "incremental=target/incremental"}, args[len(args)-5:len(args)-3],
		"every build is incremental, in the work directory (its bytes then do not depend on the directory it starts from)")
	assert.Contains(t, joined, "--target wasm32-wasip1 --sysroot /s -C panic=abort -C linker=/usr/bin/wasm-ld-22")
	assert.Contains(t, joined, "-L dependency=/t -L dependency=/h")
}

func TestNativeBuildNeedsABuiltReference(t *testing.T) {
	m := &toolchain.Manifest{Rustc: "/usr/bin/rustc", TargetDeps: "/t", HostDeps: "/h", Digest: "d",
		NativeExterns: map[string]string{"rocket": "/n/librocket.rlib"}, NativeDeps: "/n"}
	_, err := m.Native()
	require.Error(t, err, "a reference built for other inputs is not used")
	m.ReferenceDigest = "d"
	b, err := m.Native()
	require.NoError(t, err)
	joined := strings.Join(New(m, b, nil, Config{}).Args("2021"), " ")
	assert.NotContains(t, joined, "--target", "the host's own target and std")
	assert.NotContains(t, joined, "panic=abort", "panics unwind, as under cargo")
	assert.Contains(t, joined, "-L dependency=/n -L dependency=/h --extern rocket=/n/librocket.rlib")
	assert.Equal(t, []string{"PATH=/usr/bin:/bin"}, b.Env)
}

func TestRenamedDependenciesAreExternsUnderTheirName(t *testing.T) {
	m := &toolchain.Manifest{
		Rustc: "/usr/bin/rustc", Sysroot: "/s", TargetDeps: "/t", HostDeps: "/h",
		Externs: map[string]string{"rocket": "/t/librocket.rlib", "rocket_ws": "/t/librocket_ws.rlib", "tokio": "/t/libtokio.rlib"},
	}
	c := New(m, m.Wasm(), nil, Config{})
	joined := strings.Join(c.args(Input{Edition: "2021", Renames: map[string]string{"ws": "rocket_ws"}}), " ")
	assert.Contains(t, joined, "--extern rocket=/t/librocket.rlib --extern rocket_ws=/t/librocket_ws.rlib --extern tokio=/t/libtokio.rlib --extern ws=/t/librocket_ws.rlib",
		"the renamed crate under its own name, beside the profile's, sorted")

	joined = strings.Join(c.args(Input{Edition: "2021", Renames: map[string]string{"rocket": "tokio"}}), " ")
	assert.Contains(t, joined, "--extern rocket=/t/libtokio.rlib", "a rename over a profile crate's name means the renamed crate")
	assert.NotContains(t, joined, "/t/librocket.rlib")

	joined = strings.Join(c.args(Input{Edition: "2021", Renames: map[string]string{"ws": "rocket-ws"}}), " ")
	assert.Contains(t, joined, "--extern ws=/t/librocket_ws.rlib", "a package name with '-' is its crate name with '_'")
}
