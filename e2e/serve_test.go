package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// served is the serve harness's run.result as clients read it.
type served struct {
	Responses []struct {
		Status  int               `json:"status"`
		Reason  string            `json:"reason"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
		Error   string            `json:"error"`
		Raw     string            `json:"raw"`
	} `json:"responses"`
}

// servedOf is the serve harness's run.result in r.
func servedOf(t *testing.T, r sandbox.Response) served {
	t.Helper()
	require.NotNil(t, r.Run)
	var s served
	require.NoError(t, json.Unmarshal(r.Run.Result, &s), "%s", r.Run.Result)
	return s
}

// TestLaunchServesTheVirtualSocket runs an unmodified #[launch] app: its
// real launch() path serves each request over the host's virtual socket,
// then shuts down when the host has no more connections.
func TestLaunchServesTheVirtualSocket(t *testing.T) {
	req := map[string]any{"harness": "serve", "stub": readTestdata(t, "serve_app.rs"), "args": map[string]any{
		"requests": []map[string]any{
			{"uri": "/hello/there?excited=true"},
			{"method": "POST", "uri": "/greet", "headers": map[string]string{"Content-Type": "application/json"}, "body": `{"name": "Ferris"}`},
			{"uri": "/missing"},
		},
	}}
	body, err := json.Marshal(req)
	require.NoError(t, err)
	_, raw1 := post(t, "/api/v1/execute", "application/json", body)
	r1 := decodeResponse(t, raw1)
	require.Equal(t, outcome.StatusOK, r1.Status, "%s", raw1)
	s := servedOf(t, r1)
	require.Len(t, s.Responses, 3, "%s", r1.Run.Result)
	assert.Equal(t, 200, s.Responses[0].Status)
	assert.Equal(t, "Hello, there!", s.Responses[0].Body)
	assert.Equal(t, 200, s.Responses[1].Status)
	assert.Equal(t, "Greetings, Ferris", s.Responses[1].Body)
	assert.Equal(t, 404, s.Responses[2].Status)
	assert.Equal(t, "Not Found", s.Responses[2].Reason)
	assert.Contains(t, r1.Run.Stdout, "Rocket has launched")

	// Deterministic, Date headers included (frozen clock).
	_, raw2 := post(t, "/api/v1/execute", "application/json", body)
	assert.Equal(t, normalize(t, raw1), normalize(t, raw2))

	// Raw requests: a malformed one is answered by hyper as a real server
	// would; raw_responses returns the bytes as received.
	rawReq, _ := json.Marshal(map[string]any{"harness": "serve", "stub": readTestdata(t, "serve_app.rs"), "args": map[string]any{
		"raw_responses": true,
		"requests": []map[string]any{
			{"raw": "GET /hello/raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"},
			{"raw": "NOT HTTP AT ALL\r\n\r\n"},
		}}})
	_, rawBody := post(t, "/api/v1/execute", "application/json", rawReq)
	rr := decodeResponse(t, rawBody)
	require.Equal(t, outcome.StatusOK, rr.Status, "%s", rawBody)
	rs := servedOf(t, rr)
	require.Len(t, rs.Responses, 2, "%s", rawBody)
	assert.Equal(t, 200, rs.Responses[0].Status)
	assert.Equal(t, "Hello, raw.", rs.Responses[0].Body)
	assert.True(t, strings.HasPrefix(rs.Responses[0].Raw, "HTTP/1.1 200 OK\r\n"), rs.Responses[0].Raw)
	assert.Equal(t, 400, rs.Responses[1].Status, "malformed input gets 400 Bad Request")

	// Invalid requests in args are refused before compiling.
	bad, _ := json.Marshal(map[string]any{"harness": "serve", "stub": "fn main(){}", "args": map[string]any{
		"requests": []map[string]any{{"method": "GET", "uri": "http://evil.example/\r\nX: y"}}}})
	code, rawBad := post(t, "/api/v1/execute", "application/json", bad)
	assert.Equal(t, 400, code, "%s", rawBad)
	assert.Contains(t, string(rawBad), `"field":"args.requests[0].uri"`)
}

// TestCurlRoute: the body is the code, args are query parameters.
func TestCurlRoute(t *testing.T) {
	code, raw := post(t, "/api/v1/run/program?stdin=time&seed=9", "text/plain", []byte(readTestdata(t, "probe.rs")))
	require.Equal(t, 200, code, "%s", raw)
	r := decodeResponse(t, raw)
	assert.Equal(t, outcome.StatusOK, r.Status)
	assert.Equal(t, "9", r.Seed)
	assert.Equal(t, "1704067200\n", r.Run.Stdout)

	code, raw = post(t, "/api/v1/run/program?nonsense=1", "text/plain", []byte("fn main() {}"))
	assert.Equal(t, 400, code, "%s", raw)
	assert.Contains(t, string(raw), `"field":"args.nonsense"`)
}
