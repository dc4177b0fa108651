package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/compiler/jail"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// guideDir is the guide corpus next to the project root (shared/).
var guideDir = filepath.Join("..", "shared", "rocket-guide")

// TestGuideParity runs every code block of the guide through the example
// harness in the sandbox and natively (what `make parity` tabulates; about
// a minute and a half here) and requires the same outcome for each.
func TestGuideParity(t *testing.T) {
	_, err := os.Stat(guideDir)
	require.NoError(t, err, "the guide corpus belongs next to the project root, in ../shared/rocket-guide")
	blocks, err := extractBlocks(guideDir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(blocks), 104, "the four chapters hold at least 104 rust blocks")

	m, err := toolchain.Load(config.Default().StateDir)
	require.NoError(t, err)
	require.NoError(t, m.HasReference())
	native := compiler.NewNative(m, &jail.Host{}, compiler.Config{})
	h, ok := harnesses.Default().Get("example")
	require.True(t, ok)
	for _, b := range blocks {
		args, _ := json.Marshal(map[string]string{"attrs": b.attrs})
		sandboxOutcome, sandboxWhy := sandboxVerdict(context.Background(), testApp.svc, b.code, args)
		nativeOutcome, nativeWhy := nativeVerdict(context.Background(), native, h, b.code, args)
		assert.Equal(t, nativeOutcome, sandboxOutcome, "%s:%d (%s): sandbox %q, native %q", b.file, b.line, b.attrs, sandboxWhy, nativeWhy)
		assert.Contains(t, []string{"passed", "failed", "ignored"}, sandboxOutcome, "%s:%d: %s", b.file, b.line, sandboxWhy)
	}
}
