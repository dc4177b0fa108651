package reliability

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/parity"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// guideDir is the guide corpus next to the project root (../shared).
var guideDir = filepath.Join("..", "..", "shared", "rocket-guide")

// volatile drops what may differ between two computations of the same
// request (sandbox.WithoutVolatile).
func volatile(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	v, err := sandbox.WithoutVolatile(raw)
	require.NoError(t, err, "%s", raw)
	return v
}

// TestDeterminismAcrossRestartsAndEngines runs the whole guide corpus
// through a service on wazero's interpreter, stops it, and runs it again
// through a new service on wazero's compiler, each with empty caches (so
// everything is computed twice): the answers must be the same bytes but
// for the volatile fields.
func TestDeterminismAcrossRestartsAndEngines(t *testing.T) {
	_, err := os.Stat(guideDir)
	require.NoError(t, err, "the guide corpus belongs next to the project root, in ../shared/rocket-guide")
	blocks, err := parity.Extract(guideDir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(blocks), 104)

	answers := func(engine string) [][]byte {
		s := start(t, options{cacheDir: cacheDir(t), engine: engine})
		defer s.stop()
		out := make([][]byte, len(blocks))
		for i, b := range blocks {
			code, _, body, err := s.execute(context.Background(), map[string]any{
				"harness": "example", "stub": b.Code, "args": map[string]string{"attrs": b.Attrs}})
			require.NoError(t, err)
			require.Equal(t, 200, code, "%s:%d: %s", b.File, b.Line, body)
			out[i] = body
		}
		return out
	}
	interpreted := answers("interpreter")
	compiled := answers("compiler")
	for i, b := range blocks {
		assert.Equal(t, volatile(t, interpreted[i]), volatile(t, compiled[i]), "%s:%d", b.File, b.Line)
	}
	t.Logf("determinism: %d guide blocks, interpreter then compiler across a restart: compared", len(blocks))
}
