package sandbox

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// A memoized response answered from its stored form is, byte for byte,
// the encoding of the response with that tier's cache report: what an
// encode after a decode would send.
func TestStoredResponsesAnswerTheirExactEncoding(t *testing.T) {
	code := int32(3)
	resp := Response{Status: outcome.StatusRuntimeError, Harness: "serve", Seed: "18446744073709551615", Limits: &Limits{RunTimeoutMS: 10000, StdoutBytes: 1 << 20},
		Compile: &CompileReport{Success: true, Diagnostics: []outcome.Diagnostic{}, ModuleBytes: 2 << 20},
		Run: &RunReport{ExitCode: &code, Stdout: "<html>\"é\"\u2028\x00", Stderr: "panicked at ','compile':",
			Result: json.RawMessage(`{"responses":[{"status":200}]}`)},
		Result: json.RawMessage(`{"passed":false}`)}
	stored, err := storeForm(resp)
	require.NoError(t, err)
	for _, tier := range []cache.Tier{cache.Memory, cache.Disk} {
		got, ok := answerForm(stored, tier)
		require.True(t, ok)
		want := resp
		want.Cache = &CacheReport{Result: tier}
		wantBody, err := EncodeResponse(want)
		require.NoError(t, err)
		assert.Equal(t, string(wantBody), string(got.Body), tier)
		assert.Equal(t, resp.Status, got.Status)

		mine := append([]byte{}, stored...)
		inPlace, ok := answerInPlace(mine, tier)
		require.True(t, ok)
		assert.Equal(t, string(wantBody), string(inPlace.Body), "in place, %s", tier)
		assert.Equal(t, got.Status, inPlace.Status)
		assert.Equal(t, got.Cache, inPlace.Cache)
	}
}

// Bytes that are not a stored response — another version's value, a
// damaged header — are a miss, never answered.
func TestDamagedStoredResponsesAreMisses(t *testing.T) {
	stored, err := storeForm(Response{Status: outcome.StatusOK, Harness: "program", Seed: "1"})
	require.NoError(t, err)
	old, err := json.Marshal(Response{Status: outcome.StatusOK, Harness: "program", Seed: "1"})
	require.NoError(t, err)
	badOffset := append([]byte{}, stored...)
	badOffset[len(storedMagic)+3] += 2
	badStatus := append([]byte{}, stored...)
	badStatus[len(storedMagic)+5] = 'X'
	for name, b := range map[string][]byte{
		"another version's value": old, "offset moved": badOffset, "status changed": badStatus,
		"truncated": stored[:len(storedMagic)+3], "empty": {},
	} {
		_, ok := answerForm(b, cache.Memory)
		assert.False(t, ok, name)
		_, ok = answerInPlace(append([]byte{}, b...), cache.Memory)
		assert.False(t, ok, name)
	}
}

// Through the service: the hit's bytes are the miss's bytes but for the
// cache report, and they decode to what Execute answers.
func TestMemoHitsAreSentAsStored(t *testing.T) {
	c, e := &countingCompiler{}, &countingEngine{}
	svc := newCachedService(t, c, e)
	req := programReq("fn main() {}\n", "<b>")
	miss, err := svc.ExecuteEncoded(context.Background(), req)
	require.NoError(t, err)
	hit, err := svc.ExecuteEncoded(context.Background(), req)
	require.NoError(t, err)
	assert.EqualValues(t, 1, e.runs.Load())

	var missResp, hitResp Response
	require.NoError(t, json.Unmarshal(miss.Body, &missResp))
	require.NoError(t, json.Unmarshal(hit.Body, &hitResp))
	assert.Equal(t, cache.Miss, missResp.Cache.Result)
	assert.Equal(t, cache.Memory, hitResp.Cache.Result)
	missResp.Cache, hitResp.Cache = nil, nil
	assert.Equal(t, missResp, hitResp)
	assert.Contains(t, string(hit.Body), `stdin=<b>`, "no HTML escaping")

	decoded, err := svc.Execute(context.Background(), req)
	require.NoError(t, err)
	again, err := EncodeResponse(decoded)
	require.NoError(t, err)
	assert.Equal(t, string(hit.Body), string(again))
}
