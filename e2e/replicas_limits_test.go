package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// Issue 11, item 7: per-request limits within the server's maxima, on
// the real engine. The e2e service allows stdout up to 4 × its default
// and no other raise (runWithServer).

func TestRequestLimitsLowerAndRaiseTheDefaults(t *testing.T) {
	lowered := probe(t, "print", map[string]any{"limits": map[string]any{"stdout_bytes": 100}})
	assert.Equal(t, outcome.StatusOutputLimit, lowered.Status)
	assert.Len(t, lowered.Run.Stdout, 100)
	require.NotNil(t, lowered.Limits)
	assert.EqualValues(t, 100, lowered.Limits.StdoutBytes, "the effective limits are echoed")
	assert.EqualValues(t, testRunTimeout.Milliseconds(), lowered.Limits.RunTimeoutMS, "the others are the defaults")

	raised := probe(t, "print", map[string]any{"limits": map[string]any{"stdout_bytes": 2 * testStdoutCap}})
	assert.Equal(t, outcome.StatusOutputLimit, raised.Status)
	assert.Len(t, raised.Run.Stdout, 2*testStdoutCap, "above the default, within the maximum")

	plain := probe(t, "print", nil)
	assert.Len(t, plain.Run.Stdout, testStdoutCap)
	assert.EqualValues(t, testStdoutCap, plain.Limits.StdoutBytes)

	loop := probe(t, "loop", map[string]any{"limits": map[string]any{"run_timeout_ms": 200}})
	assert.Equal(t, outcome.StatusTimeout, loop.Status)
	assert.Less(t, loop.Run.DurationMS, testRunTimeout.Milliseconds(), "the lowered deadline ended it")

	small := probe(t, "alloc", map[string]any{"limits": map[string]any{"memory_bytes": 32 << 20}})
	assert.Equal(t, outcome.StatusMemoryLimit, small.Status)
	assert.LessOrEqual(t, small.Run.Usage.PeakMemoryBytes, int64(32<<20))
}

func TestRequestLimitsAboveTheMaximumAreRefused(t *testing.T) {
	for _, c := range []struct {
		limits  map[string]any
		field   string
		message string
	}{
		{map[string]any{"stdout_bytes": 4*testStdoutCap + 1}, "limits.stdout_bytes", "this server's maximum is 262144"},
		// The suite raises the run timeout's maximum for the database
		// examples (e2e_test.go).
		{map[string]any{"run_timeout_ms": dbRunTimeout.Milliseconds() + 1}, "limits.run_timeout_ms", "this server's maximum is 60000"},
		// No maximum configured: the default is the maximum.
		{map[string]any{"memory_bytes": testMemory + 1}, "limits.memory_bytes", "this server's maximum is 67108864"},
		{map[string]any{"memory_bytes": 4096}, "limits.memory_bytes", "the least is 65536"},
		{map[string]any{"deadline": 5}, "limits.deadline", "unknown limit"},
	} {
		body, err := json.Marshal(map[string]any{"harness": "program", "stub": "fn main() {}\n", "limits": c.limits})
		require.NoError(t, err)
		code, raw := post(t, "/api/v1/execute", "application/json", body)
		require.Equal(t, http.StatusBadRequest, code, "%s", raw)
		p := decodeProblem(t, raw)
		assert.Equal(t, server.StatusInvalidRequest, p.Status)
		assert.Equal(t, c.field, p.Field)
		assert.Contains(t, p.Message, c.message)
	}
}
