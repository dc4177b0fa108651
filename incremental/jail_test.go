package incremental_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/incremental"
	"github.com/rocket-sandbox/rocket-sandbox/internal/testenv"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

func TestMain(m *testing.M) {
	jail.MaybeInit() // the compile jail re-executes this test binary
	os.Exit(m.Run())
}

// app is a small Rocket app with a few handlers, so that its code falls
// into several codegen units and an edit touches only some.
const app = `#[macro_use] extern crate rocket;

#[get("/world")]
fn world() -> &'static str { "Hello, world!" }

#[get("/<name>/<age>")]
fn wave(name: &str, age: u8) -> String { format!("Hello, {} year old named {}!", age, name) }

#[post("/echo", data = "<body>")]
fn echo(body: String) -> String { body }

#[launch]
fn rocket() -> _ { rocket::build().mount("/", routes![world, wave, echo]) }
`

func id(c byte) string { return strings.Repeat(string(c), 64) }

// compileIn compiles src from directory id through the real jail.
func compileIn(t *testing.T, r compiler.Runner, m *toolchain.Manifest, src, dir string) compiler.Output {
	t.Helper()
	out, err := compiler.New(m, m.Wasm(), r, compiler.Config{}).Compile(context.Background(),
		compiler.Input{Source: []byte(src), Incremental: dir})
	require.NoError(t, err)
	require.True(t, out.Success, out.Stderr)
	return out
}

// The same source gives the same module bytes whether its compile
// starts from a warm directory (the client's, after an earlier version
// of the source), a cold one (another client's first compile), a
// damaged one, or none (a request without a session): the result, and
// so the memo, cannot depend on the directory.
func TestIncrementalModulesAreTheColdOnes(t *testing.T) {
	testenv.RequireRoot(t, "the compile jail")
	m, err := toolchain.Load(toolchain.DefaultStateDir())
	require.NoError(t, err)
	state := t.TempDir()
	policy := jail.Policy{CgroupParent: "rocket-incremental-test-" + filepath.Base(state), StateDir: filepath.Join(state, "jail"),
		ReadOnlyPaths: m.ReadOnlyPaths()}
	j, err := jail.New(policy)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, j.Close()) })
	store, err := incremental.Open(incremental.Config{Dir: filepath.Join(state, "incremental")})
	require.NoError(t, err)
	r := &incremental.Runner{Next: j, Store: store}

	edited := strings.Replace(app, "Hello, world!", "Hello, edited world!", 1)
	compileIn(t, r, m, app, id('a'))
	kept, ok := store.Load(id('a'))
	require.True(t, ok, "a clean compile keeps its directory")
	require.NotEmpty(t, kept)

	warm := compileIn(t, r, m, edited, id('a'))
	after, ok := store.Load(id('a'))
	require.True(t, ok)
	sessions := map[string]bool{}
	for p := range after {
		if parts := strings.Split(p, "/"); len(parts) > 4 {
			sessions[parts[3]] = true
		}
	}
	assert.Len(t, sessions, 1, "only rustc's newest session is kept: %v", sessions)
	cold := compileIn(t, r, m, edited, id('b'))
	none := compileIn(t, r, m, edited, "")
	assert.True(t, bytes.Equal(warm.Module, cold.Module), "warm and cold directories give the same module (%d vs %d bytes)", len(warm.Module), len(cold.Module))
	assert.True(t, bytes.Equal(none.Module, cold.Module), "a compile without a directory gives the same module")
	assert.Equal(t, cold.Diagnostics, warm.Diagnostics)

	// A directory of the right shape whose every file is garbage: rustc
	// checks its own data and starts over.
	garbage := map[string][]byte{}
	for p, b := range kept {
		garbage[p] = bytes.Repeat([]byte{0x5a}, len(b))
	}
	require.NoError(t, store.Save(id('c'), garbage))
	damaged := compileIn(t, r, m, edited, id('c'))
	assert.True(t, bytes.Equal(damaged.Module, cold.Module), "a damaged directory changes nothing")
}
