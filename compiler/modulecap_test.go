package compiler

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// fixedRunner answers every command with res.
type fixedRunner struct{ res jail.Result }

func (r fixedRunner) Run(context.Context, jail.Command) (jail.Result, error) { return r.res, nil }

// A module over max_module_bytes is a compile error that says why; one
// at the cap compiles; a module the jail could not read back is a compile
// error that says so rather than a silent failure.
func TestModuleOverTheCapIsACompileError(t *testing.T) {
	m := &toolchain.Manifest{Rustc: "/usr/bin/rustc"}
	compile := func(files map[string][]byte) Output {
		c := New(m, m.Wasm(), fixedRunner{jail.Result{Files: files}}, Config{MaxModuleBytes: 64 << 10})
		out, err := c.Compile(context.Background(), Input{Source: []byte("fn main() {}")})
		require.NoError(t, err)
		return out
	}

	out := compile(map[string][]byte{"main.wasm": make([]byte, 64<<10)})
	assert.True(t, out.Success)
	assert.Len(t, out.Module, 64<<10)

	out = compile(map[string][]byte{"main.wasm": make([]byte, 64<<10+1)})
	assert.False(t, out.Success)
	assert.Nil(t, out.Module)
	require.Len(t, out.Diagnostics, 1)
	assert.Equal(t, "error", out.Diagnostics[0].Level)
	assert.Contains(t, out.Diagnostics[0].Message, "the compiled module is 65537 bytes, over the limit of 65536 bytes")
	assert.Contains(t, out.Stderr, "error: the compiled module is 65537 bytes")

	out = compile(nil)
	assert.False(t, out.Success)
	assert.Contains(t, out.Stderr, "produced no module")
}
