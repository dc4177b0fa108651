package cargoref

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const libtestOutput = `
running 6 tests
test src/lib.rs - parity_block_aaa (line 10) ... ok
test src/lib.rs - parity_block_bbb (line 20) - compile fail ... ok
test src/lib.rs - parity_block_ccc (line 30) ... ignored
test src/lib.rs - parity_block_ddd (line 40) - compile ... FAILED
test src/lib.rs - parity_block_eee (line 50) ... FAILED
test src/lib.rs - (line 3) ... ok

failures:

---- src/lib.rs - parity_block_ddd (line 40) - compile stdout ----
error[E0425]: cannot find value ` + "`x`" + ` in this scope
 --> src/lib.rs:41:1

error: aborting due to 1 previous error

Couldn't compile the test.
---- src/lib.rs - parity_block_eee (line 50) stdout ----
Test executable failed (exit status: 101).

stderr:

thread 'main' panicked at src/lib.rs:52:1:
boom


failures:
    src/lib.rs - parity_block_ddd (line 40) - compile
    src/lib.rs - parity_block_eee (line 50)

test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 1.23s
`

func TestParseTestsMapsLibtestResultsToVerdicts(t *testing.T) {
	tests := parseTests([]byte(libtestOutput))
	require.Len(t, tests, 6)
	want := []struct {
		item, mode, outcome, reason string
		line                        int
	}{
		{"parity_block_aaa", "", "passed", "cargo test --doc: ok", 10},
		{"parity_block_bbb", "compile fail", "passed", "cargo test --doc: ok (compile_fail)", 20},
		{"parity_block_ccc", "", "ignored", "cargo test --doc: ignored", 30},
		{"parity_block_ddd", "compile", "failed", "cargo test --doc: FAILED (no_run: compiled only): Couldn't compile the test. error[E0425]: cannot find value `x` in this scope", 40},
		{"parity_block_eee", "", "failed", "cargo test --doc: FAILED: Test executable failed (exit status: 101). panicked: boom", 50},
		{"", "", "passed", "cargo test --doc: ok", 3},
	}
	for i, w := range want {
		assert.Equal(t, "src/lib.rs", tests[i].File)
		assert.Equal(t, w.item, tests[i].Item, i)
		assert.Equal(t, w.line, tests[i].Line, i)
		assert.Equal(t, w.mode, tests[i].Mode, i)
		assert.Equal(t, w.outcome, tests[i].Outcome, i)
		assert.Equal(t, w.reason, tests[i].Reason, i)
	}
}

func TestRepointLockGivesPatchedCratesTheirRegistrySource(t *testing.T) {
	manifest := "[workspace]\nmembers = [\"deps\"]\n\n[patch.crates-io]\nrocket = { path = \".patched/rocket-0.5.1\" }\ntokio = { path = \".patched/tokio-1.54.1\" }\n\n[profile.release]\nx = 1\n"
	patched := patchedCrates(manifest)
	assert.Equal(t, map[string]string{"rocket": "0.5.1", "tokio": "1.54.1"}, patched)

	lock := "version = 4\n\n[[package]]\nname = \"sandbox-deps\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"ab\"\n\n[[package]]\nname = \"tokio\"\nversion = \"1.54.1\"\ndependencies = [\n \"bytes\",\n]\n\n[[package]]\nname = \"tokio\"\nversion = \"1.0.0\"\n"
	out := string(repointLock([]byte(lock), patched))
	assert.Contains(t, out, "name = \"tokio\"\nversion = \"1.54.1\"\n"+cratesIO+"\ndependencies")
	assert.Contains(t, out, "name = \"sandbox-deps\"\nversion = \"0.1.0\"\n\n", "a workspace member keeps its path source")
	assert.Contains(t, out, "name = \"tokio\"\nversion = \"1.0.0\"\n", "another version is not the patched crate")
	assert.Equal(t, 1, strings.Count(out, "checksum"))
	assert.Equal(t, 2, strings.Count(out, cratesIO))
}

func TestDependenciesDropTheDocsTestsCrate(t *testing.T) {
	table, err := dependencies("[package]\nname = \"sandbox-deps\"\n\n[dependencies]\nrocket = { version = \"=0.5.1\" }\nrocket_docs_tests = { path = \"../docs-tests\" }\nrand = \"0.8\"\n\n[features]\nx = []\n")
	require.NoError(t, err)
	assert.Equal(t, "rocket = { version = \"=0.5.1\" }\nrand = \"0.8\"\n\n", table)
	_, err = dependencies("[package]\n")
	assert.Error(t, err)
}

func TestLibWithPutsEachBlockInTheDocCommentOfAModule(t *testing.T) {
	g := &guideCrate{lib: []byte("//! lib\n")}
	key := strings.Repeat("ab", 32)
	lib := string(g.libWith(map[string]Block{key: {Attrs: "rust,no_run", Code: "# hidden();\nfn main() {\n\n    indented();\n}\n"}}))
	assert.Contains(t, lib, "//! lib\n")
	assert.Contains(t, lib, "/// ```rust,no_run\n/// # hidden();\n/// fn main() {\n///\n///     indented();\n/// }\n/// ```\npub mod "+moduleName(key)+" {}\n")
	assert.True(t, strings.HasPrefix(moduleName(key), modulePrefix))
}
