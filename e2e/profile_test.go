package e2e

// End-to-end tests of the documentation dependency profile: each program in
// testdata/profile/ uses one part of what Rocket's guide examples need
// (templates, mtls, json, secrets, WebSockets, databases, figment, the
// rocket_docs_tests helpers), is compiled in the jail and run in wazero
// through the API, and then compiled natively against the same profile
// built for the host (the guide-parity reference) and run.

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

type profileProgram struct {
	file string
	// want are lines every run prints, in order, both on wasm and
	// natively; wasm and native add lines the other does not print.
	want   []string
	wasm   []string
	native []string
}

var profilePrograms = []profileProgram{
	{file: "templates.rs", want: []string{
		`context: {"name":"Ferris","items":["a","b"]}`,
		"tera: Hello, Ferris! [A] [B]",
		"without the fairing: sentinel(s) aborted",
	}},
	{file: "mtls.rs", want: []string{
		"required: 401 Unauthorized",
		"optional: 200 OK anonymous",
	}},
	{file: "json.rs", want: []string{
		"status: 200 OK",
		`task: Task { id: 7, title: "write docs", done: true }`,
		`summary: {"done":[1,3],"open":2}`,
	}},
	{file: "secrets.rs", want: []string{
		"configured key provided: true",
		"generated key provided: false",
		"before: nobody",
		"sealed value hides the name: true",
		"after: user ferris",
		"default config: user crab",
	}},
	{file: "ws.rs", want: []string{
		"echo without upgrade: 400 Bad Request",
		`message: Text("hi")`,
	}},
	// sqlx's connection worker is a task on the guest's one thread
	// (wasi-shims/README.md, the sqlx-sqlite patch).
	{file: "db.rs", want: []string{"database: notes", "answer 42"}},
	{file: "figment.rs", want: []string{
		`AppConfig { name: "app", workers: 4, tags: ["a", "b"] }`,
		`error: invalid type: found string "many", expected u16 for key "default.workers" in TOML source string`,
		"rocket: port 9000 ident guide",
	}},
	{file: "docs_tests.rs", want: []string{
		"forms: ok",
		`maps: ok {"a": 1}`,
		"Matched: (cats) GET /?hello&cat=♥",
		"client: 200 OK",
	}},
	{file: "tcp.rs", want: []string{"stream: 500 Internal Server Error"},
		wasm: []string{`I/O Error: Custom { kind: Unsupported, error: "operation not supported on this platform" }`},
	},
}

func readProfileProgram(t *testing.T, name string) string {
	t.Helper()
	// readTestdata reads testdata/e2e; the profile programs live beside it.
	return readTestdata(t, filepath.Join("..", "profile", name))
}

// assertLinesInOrder checks that each wanted line occurs in out after the
// previous one (as a substring of a line: Rocket indents its log lines).
func assertLinesInOrder(t *testing.T, out string, want ...string) {
	t.Helper()
	rest := out
	for _, w := range want {
		i := strings.Index(rest, w)
		if !assert.GreaterOrEqual(t, i, 0, "want %q (in order) in output:\n%s", w, out) {
			return
		}
		rest = rest[i+len(w):]
	}
}

func TestProfileProgramsRunOnWasm(t *testing.T) {
	for _, p := range profilePrograms {
		// One at a time: each compile takes a CPU for up to ~20 s.
		t.Run(p.file, func(t *testing.T) {
			r, raw := execute(t, map[string]any{"harness": "program", "stub": readProfileProgram(t, p.file)})
			require.NotNil(t, r.Compile, "body: %s", raw)
			require.True(t, r.Compile.Success, "compile: %s", r.Compile.Stderr)
			require.Equal(t, outcome.StatusOK, r.Status, "body: %s", raw)
			assertLinesInOrder(t, r.Run.Stdout, p.want...)
			assertLinesInOrder(t, r.Run.Stdout, p.wasm...)
		})
	}
}

// TestProfileProgramsRunNatively compiles each program with Debian's rustc
// for the host against the native build of the same profile, as the
// guide-parity reference does, and runs it.
func TestProfileProgramsRunNatively(t *testing.T) {
	m, err := toolchain.Load(config.Default().StateDir)
	require.NoError(t, err)
	require.NoError(t, m.HasReference())
	work := t.TempDir()
	for _, p := range profilePrograms {
		t.Run(p.file, func(t *testing.T) {
			src := filepath.Join(testdata, "profile", p.file)
			bin := filepath.Join(work, strings.TrimSuffix(p.file, ".rs"))
			compileNative(t, m, src, bin)
			out := runNative(t, bin, work)
			assertLinesInOrder(t, out, p.want...)
			assertLinesInOrder(t, out, p.native...)
		})
	}
}

func compileNative(t *testing.T, m *toolchain.Manifest, src, bin string) {
	t.Helper()
	// As under cargo: the native profile unwinds (toolchain/crates.go).
	args := []string{"--edition", "2021", "--crate-type", "bin", "--crate-name", "main",
		"--target", toolchain.NativeTarget, "-C", "opt-level=0", "-C", "debuginfo=0",
		"-L", "dependency=" + m.NativeDeps, "-L", "dependency=" + m.HostDeps}
	names := make([]string, 0, len(m.NativeExterns))
	for n := range m.NativeExterns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		args = append(args, "--extern", n+"="+m.NativeExterns[n])
	}
	args = append(args, src, "-o", bin)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, m.Rustc, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "native compile of %s:\n%s", src, out)
}

func runNative(t *testing.T, bin, dir string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir
	// A release-profile Rocket with `secrets` refuses to ignite without a
	// configured key; the wasm build generates one instead (wasi-shims),
	// so the native reference configures one to behave the same.
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 64))
	cmd.Env = []string{"ROCKET_SECRET_KEY=" + key}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	require.NoError(t, err, "native run of %s:\nstdout:\n%s\nstderr:\n%s", bin, stdout.String(), stderr.String())
	return stdout.String()
}

// TestProfileExternsCoverTheDocsDependencies checks the manifest gives a
// stub every crate the guide's examples name, those Rocket's API examples
// import, and those its example apps' Cargo.toml files name, for both
// builds.
func TestProfileExternsCoverTheDocsDependencies(t *testing.T) {
	m, err := toolchain.Load(config.Default().StateDir)
	require.NoError(t, err)
	for _, name := range []string{"rocket", "rocket_dyn_templates", "rocket_db_pools", "rocket_ws",
		"rocket_docs_tests", "figment", "tokio", "rand", "serde", "serde_json", "either", "memchr", "time",
		// What Rocket's example apps name (issue 13).
		"rocket_sync_db_pools", "diesel", "diesel_migrations", "sqlx", "parking_lot", "flume"} {
		for build, externs := range map[string]map[string]string{"wasm": m.Externs, "native": m.NativeExterns} {
			rlib, ok := externs[name]
			if assert.True(t, ok, "%s extern %s", build, name) {
				_, err := os.Stat(rlib)
				assert.NoError(t, err, "%s extern %s", build, name)
			}
		}
	}
}
