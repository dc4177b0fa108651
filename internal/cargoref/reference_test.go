package cargoref_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/cargoref"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// referenceConfig is the reference in the prepared state dir
// (`make setup-reference` builds it), for this checkout.
func referenceConfig(t *testing.T) cargoref.Config {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	dir := cargoref.Dir(toolchain.DefaultStateDir())
	_, err = os.Stat(filepath.Join(dir, "guide", ".fetched"))
	require.NoError(t, err, "the cargo reference is not prepared: run `make setup-reference`")
	return cargoref.Config{SourceDir: src, Dir: dir, Log: testLog{t}}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }

// TestDoctestsJudgeLikeRustdoc puts blocks of every kind through real
// `cargo test --doc` and checks that rustdoc's verdict comes back in the
// parity tool's vocabulary: attributes, hidden lines, the edition and the
// rocket_docs_tests helpers are rustdoc's business, not ours. Each run
// marks its blocks with a fresh comment, so cargo judges them (the cache
// cannot answer); a second call is answered from the cache.
func TestDoctestsJudgeLikeRustdoc(t *testing.T) {
	c := referenceConfig(t)
	nonce := fmt.Sprintf("// run %d\n", time.Now().UnixNano())
	cases := []struct {
		name, attrs, code, outcome string
	}{
		{"passes", "rust", "assert_eq!(1 + 1, 2);\n", "passed"},
		{"panics", "rust", "panic!(\"boom\");\n", "failed"},
		{"should_panic", "rust,should_panic", "panic!(\"boom\");\n", "passed"},
		{"should_panic but returns", "should_panic", "let _ = 1;\n", "failed"},
		{"compile_fail with its code", "compile_fail,E0308", "let x: u32 = \"no\";\n", "passed"},
		{"compile_fail that compiles", "compile_fail", "let _x: u32 = 1;\n", "failed"},
		{"does not compile", "rust", "let x: u32 = \"no\";\n", "failed"},
		{"no_run is not run", "no_run", "loop {}\n", "passed"},
		{"ignore", "ignore", "this is not Rust at all\n", "ignored"},
		{"another language", "text", "plain text\n", "ignored"},
		{"hidden lines", "rust", "# fn hidden() -> u8 { 7 }\nassert_eq!(hidden(), 7);\n", "passed"},
		{"edition2015 attribute", "edition2015", "let async = 1;\nassert_eq!(async, 1);\n", "passed"},
		{"the crate's own helpers", "rust", "#[macro_use] extern crate rocket;\n#[get(\"/\")]\nfn index() -> &'static str { \"hi\" }\n# let client = rocket_docs_tests::client(routes![index]);\n# assert_eq!(client.get(\"/\").dispatch().into_string().unwrap(), \"hi\");\n", "passed"},
	}
	blocks := make([]cargoref.Block, len(cases))
	for i, tc := range cases {
		blocks[i] = cargoref.Block{Attrs: tc.attrs, Code: nonce + tc.code}
		if tc.attrs == "text" || tc.attrs == "ignore" {
			blocks[i].Code = tc.code + nonce
		}
	}
	verdicts, cached, err := c.Doctests(context.Background(), blocks)
	require.NoError(t, err)
	assert.Equal(t, 0, cached)
	for i, tc := range cases {
		assert.Equal(t, tc.outcome, verdicts[i].Outcome, "%s: %s", tc.name, verdicts[i].Reason)
	}
	assert.Contains(t, verdicts[6].Reason, "Couldn't compile the test")

	again, cached, err := c.Doctests(context.Background(), blocks)
	require.NoError(t, err)
	assert.Equal(t, len(blocks), cached)
	assert.Equal(t, verdicts, again)
}
