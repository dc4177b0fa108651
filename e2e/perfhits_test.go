package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// Issue 16: an exact repeat of a request is answered by its bytes (the
// server's recall index), without being parsed again. It answers what
// the full path answers: the same bytes as the same request spelled
// otherwise (parsed, validated and keyed anew), and it refuses what the
// full path refuses.
func TestAnExactRepeatAnswersWhatTheFullPathAnswers(t *testing.T) {
	stub := readTestdata(t, "hello.rs") + "// perfhits: recall\n"
	exact, err := json.Marshal(map[string]any{"harness": "program", "stub": stub, "args": map[string]any{"stdin": "recall"}})
	require.NoError(t, err)
	// The same request with other whitespace and member order: other
	// bytes, so it is read in full.
	respelled, err := json.MarshalIndent(map[string]any{"args": map[string]any{"stdin": "recall"}, "stub": stub, "harness": "program"}, "", "  ")
	require.NoError(t, err)

	code, miss := post(t, "/api/v1/execute", "application/json", exact)
	require.Equal(t, http.StatusOK, code, "%s", miss)
	first := decodeResponse(t, miss)
	require.Equal(t, outcome.StatusOK, first.Status, "%s", miss)
	assert.Equal(t, cache.Miss, first.Cache.Result)

	code, recalled := post(t, "/api/v1/execute", "application/json", exact)
	require.Equal(t, http.StatusOK, code)
	code, parsed := post(t, "/api/v1/execute", "application/json", respelled)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, cache.Memory, decodeResponse(t, recalled).Cache.Result)
	assert.Equal(t, string(parsed), string(recalled), "the recalled answer is the full path's, byte for byte")
	code, again := post(t, "/api/v1/execute", "application/json", exact)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, string(recalled), string(again))

	// One byte of the args changed: another request, another answer.
	other, err := json.Marshal(map[string]any{"harness": "program", "stub": stub, "args": map[string]any{"stdin": "recalm"}})
	require.NoError(t, err)
	code, raw := post(t, "/api/v1/execute", "application/json", other)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, cache.Miss, decodeResponse(t, raw).Cache.Result)

	// Known bytes under a type the route refuses are refused, as any.
	code, raw = post(t, "/api/v1/execute", "text/plain", exact)
	assert.Equal(t, http.StatusUnsupportedMediaType, code, "%s", raw)
	assert.Equal(t, "invalid_request", decodeProblem(t, raw).Status)

	// The run route: the harness, the query and the stub are the request.
	code, runMiss := post(t, "/api/v1/run/program?stdin=recall", "text/plain", []byte(stub))
	require.Equal(t, http.StatusOK, code, "%s", runMiss)
	code, runHit := post(t, "/api/v1/run/program?stdin=recall", "text/plain", []byte(stub))
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, cache.Memory, decodeResponse(t, runHit).Cache.Result)
	assert.Equal(t, string(recalled), string(runHit), "the same request through either route")
}
