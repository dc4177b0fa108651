package examples

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNativeManifestMapsPathDependenciesToReleases(t *testing.T) {
	out, err := NativeManifest(`[package]
name = "upgrade"
version = "0.0.0"
workspace = "../"
edition = "2021"

[dependencies]
rocket = { path = "../../core/lib", features = ["json"] }
ws = { package = "rocket_ws", path = "../../contrib/ws" }
diesel = { version = "2", features = ["sqlite"] }

[dependencies.rocket_sync_db_pools]
path = "../../contrib/sync_db_pools/lib/"
features = ["diesel_sqlite_pool"]

[dev-dependencies]
rand = "0.8"
`)
	require.NoError(t, err)
	var doc struct {
		Package      map[string]any
		Dependencies map[string]map[string]any
		Dev          map[string]any `toml:"dev-dependencies"`
	}
	_, err = toml.Decode(string(out), &doc)
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "../", doc.Package["workspace"], "still a member of the workspace one level up")
	assert.Equal(t, map[string]any{"version": "=0.5.1", "features": []any{"json"}}, doc.Dependencies["rocket"])
	assert.Equal(t, map[string]any{"version": "=0.1.1", "package": "rocket_ws"}, doc.Dependencies["ws"], "a renamed path dependency: the release of the crate it names")
	assert.Equal(t, map[string]any{"version": "=0.1.0", "features": []any{"diesel_sqlite_pool"}}, doc.Dependencies["rocket_sync_db_pools"])
	assert.Equal(t, map[string]any{"version": "2", "features": []any{"sqlite"}}, doc.Dependencies["diesel"], "crates.io dependencies are kept")
	assert.Equal(t, "0.8", doc.Dev["rand"])

	_, err = NativeManifest("[dependencies]\nrocket_contrib = { path = \"../../contrib/lib\" }\n")
	assert.ErrorContains(t, err, `a path dependency on "rocket_contrib", which has no known release`)
}

func TestCompareJudgesEveryTest(t *testing.T) {
	same := Compare("hello", Side{Tests: map[string]string{"a": "passed", "b": "ignored"}}, Side{Tests: map[string]string{"a": "passed", "b": "ignored"}})
	assert.True(t, same.Parity)
	assert.Empty(t, same.Differences)

	none := Compare("upgrade", Side{Tests: map[string]string{}}, Side{Tests: map[string]string{}})
	assert.True(t, none.Parity, "no tests on either side is parity")

	diff := Compare("static-files", Side{Tests: map[string]string{"a": "passed", "b": "failed"}}, Side{Tests: map[string]string{"a": "passed", "b": "passed", "c": "passed"}})
	assert.False(t, diff.Parity)
	assert.Equal(t, []string{"`b`: sandbox failed, native passed", "`c`: sandbox absent, native passed"}, diff.Differences)

	refused := Compare("tls", Side{Tests: map[string]string{}, Error: "refused (400 invalid_request): feature \"tls\""}, Side{Tests: map[string]string{"a": "passed"}})
	assert.False(t, refused.Parity)
	assert.Equal(t, []string{"sandbox: refused (400 invalid_request): feature \"tls\""}, refused.Differences, "the reason once, not every test again")

	broken := Compare("x", Side{Tests: map[string]string{}}, Side{Tests: map[string]string{}, Error: "could not compile"})
	assert.False(t, broken.Parity, "an example that does not build natively is no parity")
}

func TestTableHasARowPerExampleAndTheCount(t *testing.T) {
	rows := []Row{
		Compare("hello", Side{Tests: map[string]string{"a": "passed"}}, Side{Tests: map[string]string{"a": "passed"}}),
		Compare("tls", Side{Error: "refused | badly"}, Side{Tests: map[string]string{"a": "passed", "b": "ignored"}}),
	}
	rows[1].Cause = "no TLS"
	table := Table(rows)
	assert.Contains(t, table, "| hello | 1 / 0 / 0 | 1 / 0 / 0 | yes |  |\n")
	assert.Contains(t, table, "| tls | — | 1 / 0 / 1 | no | sandbox: refused \\| badly. Cause: no TLS |\n")
	assert.Contains(t, table, "**1 of 2 examples have parity**")
}

func TestLoadReadsExamplesAndProjectSendsBinaryFilesAsBase64(t *testing.T) {
	dir := t.TempDir()
	write := func(path, body string) {
		p := filepath.Join(dir, path)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	write("hello/Cargo.toml", "[package]\nname = \"hello\"\n")
	write("hello/src/main.rs", "fn main() {}\n")
	write("hello/static/icon.jpg", "\xff\xd8\xff\xe0")
	write("notes/README.md", "not an example: no Cargo.toml")
	write("Cargo.toml", "[workspace]\n")

	exs, err := Load(dir)
	require.NoError(t, err)
	require.Len(t, exs, 1)
	assert.Equal(t, "hello", exs[0].Name)
	files, err := json.Marshal(exs[0].Project())
	require.NoError(t, err)
	assert.JSONEq(t, `{"Cargo.toml": "[package]\nname = \"hello\"\n", "src/main.rs": "fn main() {}\n",
		"static/icon.jpg": {"content": "/9j/4A==", "encoding": "base64"}}`, string(files))

	write("world/Cargo.toml", "[package]\nname = \"world\"\n")
	write("zzz/Cargo.toml", "[package]\nname = \"zzz\"\n")
	exs, err = Load(dir, "world")
	require.NoError(t, err)
	require.Len(t, exs, 1, "only the examples asked for, also after the last of them")
	assert.Equal(t, "world", exs[0].Name)

	_, err = Load(dir, "hello", "nope")
	assert.ErrorContains(t, err, "no example nope")
	_, err = Load(filepath.Join(dir, "notes"))
	assert.True(t, strings.Contains(err.Error(), "no example"), "%v", err)
}

func TestCauseOfNamesTheKnownCauseOrAMissingCrate(t *testing.T) {
	assert.Contains(t, CauseOf(Row{Name: "tls"}), "no TLS listener")
	missing := Row{Name: "state", Sandbox: Side{Error: `refused (400 invalid_request): files["Cargo.toml"] dependencies.flume: the prepared profile has no crate "flume"`}}
	assert.Contains(t, CauseOf(missing), "harnesses/deps/Cargo.toml")
	assert.Empty(t, CauseOf(Row{Name: "hello", Sandbox: Side{Error: "compile error: error[E0425]"}}), "no cause is made up")
}
