package e2e

// End-to-end checks of issue 14's cache items (the module size cap and
// the memo's per-response cap) through the HTTP API only, against the
// service TestMain starts with the default cache configuration.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// A large initialized static makes a module of its size in under a
// second; over the module cap (16 MiB by default) the compile is a
// compile_error that says why, and nothing of that size is run or kept.
func TestHardeningModuleOverTheCapIsACompileError(t *testing.T) {
	stub := "static BIG: [u8; 24 << 20] = [7; 24 << 20];\n" +
		"fn main() { let i = std::hint::black_box(5usize); println!(\"{}\", BIG[i]); }\n"
	r, raw := execute(t, map[string]any{"harness": "program", "stub": stub})
	require.Equal(t, outcome.StatusCompileError, r.Status, "%.2000s", raw)
	require.NotNil(t, r.Compile)
	assert.False(t, r.Compile.Success)
	assert.Zero(t, r.Compile.ModuleBytes)
	assert.Nil(t, r.Run)
	require.NotEmpty(t, r.Compile.Diagnostics)
	msg := r.Compile.Diagnostics[len(r.Compile.Diagnostics)-1]
	assert.Equal(t, "error", msg.Level)
	assert.Contains(t, msg.Message, "over the limit of 16777216 bytes for a module")
	assert.Contains(t, r.Compile.Stderr, "error: the compiled module is ")
}

// A response larger than the results store's max_value_bytes (1 MiB by
// default) is answered in full but never memoized: 1 MiB of NUL bytes on
// stderr is about 6 MiB of JSON.
func TestHardeningLargeResponsesAreNotMemoized(t *testing.T) {
	stub := "use std::io::Write;\n" +
		"fn main() { std::io::stderr().write_all(&vec![0u8; 1 << 20]).unwrap(); }\n"
	req := map[string]any{"harness": "program", "stub": stub}
	for i := range 2 {
		r, raw := execute(t, req)
		require.NotNil(t, r.Run, "%.2000s", raw)
		assert.Greater(t, len(raw), 1<<20)
		assert.Equal(t, strings.Repeat("\x00", 1<<20), r.Run.Stderr, "answered in full")
		assert.Equal(t, cache.Miss, r.Cache.Result, "request %d is computed, not memoized", i+1)
	}
}
