package sandbox

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWithoutVolatileKeepsWhatIsDeterministic(t *testing.T) {
	raw := `{"status":"ok","seed":"7","cache":{"result":"miss"},
	  "compile":{"success":true,"duration_ms":5,"cached":true,"usage":{"wall_ms":1,"cpu_ms":2,"peak_memory_bytes":3}},
	  "run":{"stdout":"x","duration_ms":9,"usage":{"wall_ms":1,"cpu_ms":2,"peak_memory_bytes":65536}}}`
	v, err := WithoutVolatile([]byte(raw))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"status": "ok", "seed": "7",
		"compile": map[string]any{"success": true, "usage": map[string]any{}},
		"run":     map[string]any{"stdout": "x", "usage": map[string]any{"peak_memory_bytes": float64(65536)}},
	}, v, "the guest's memory stays: it is deterministic")
	_, err = WithoutVolatile([]byte("{"))
	assert.Error(t, err)
}
