package e2e

// The contract against the real service: every route's answers, results
// and refusals, validate against /openapi.json, and /docs renders it
// from embedded assets only.

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/openapi/conformance"
)

// contractOf fetches the contract the service serves.
func contractOf(t *testing.T) *conformance.Contract {
	t.Helper()
	resp, err := http.Get(baseURL + "/openapi.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	c, err := conformance.Load(body)
	require.NoError(t, err)
	return c
}

// exchange sends one request and checks the request (when the server
// accepted it) and the answer against the contract.
func exchange(t *testing.T, c *conformance.Contract, method, target, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, baseURL+target, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	path, _, _ := strings.Cut(target, "?")
	assert.NoError(t, c.CheckResponse(method, path, resp.StatusCode, resp.Header.Get("Content-Type"), raw))
	if resp.StatusCode == http.StatusOK && len(body) > 0 {
		assert.NoError(t, c.CheckRequest(method, path, contentType, body))
	}
	return resp.StatusCode, raw
}

func TestContractHoldsForRealAnswers(t *testing.T) {
	c := contractOf(t)
	hello := readTestdata(t, "hello.rs")
	broken := readTestdata(t, "compile_error.rs")
	js := "application/json"
	mustJSON := func(v any) []byte {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return b
	}

	// Each harness's own example request, as the contract's HarnessInfo
	// describes it, is a valid request with a valid result.
	code, raw := exchange(t, c, "GET", "/api/v1/harnesses", "", nil)
	require.Equal(t, http.StatusOK, code)
	var list struct {
		Harnesses []struct {
			ID      string          `json:"id"`
			Example json.RawMessage `json:"example"`
		} `json:"harnesses"`
	}
	require.NoError(t, json.Unmarshal(raw, &list))
	require.NotEmpty(t, list.Harnesses)
	for _, h := range list.Harnesses {
		code, raw := exchange(t, c, "POST", "/api/v1/execute", js, h.Example)
		assert.Equal(t, http.StatusOK, code, "%s: %s", h.ID, raw)
	}

	for _, tc := range []struct {
		name, method, target, ct string
		body                     []byte
		code                     int
	}{
		{"ok", "POST", "/api/v1/execute", js, mustJSON(map[string]any{"harness": "program", "stub": hello, "seed": 1}), 200},
		{"compile error", "POST", "/api/v1/execute", js, mustJSON(map[string]any{"harness": "program", "stub": broken}), 200},
		{"curl form", "POST", "/api/v1/run/program?stdin=x&seed=2", "text/plain", []byte(hello), 200},
		{"bad seed", "POST", "/api/v1/execute", js, []byte(`{"harness":"program","stub":"fn main(){}","seed":-1}`), 400},
		{"unknown harness", "POST", "/api/v1/execute", js, []byte(`{"harness":"nope","stub":"fn main(){}"}`), 404},
		{"bad args", "POST", "/api/v1/execute", js, []byte(`{"harness":"serve","stub":"fn main(){}","args":{"requests":"x"}}`), 400},
		{"wrong type", "POST", "/api/v1/execute", "text/plain", []byte(`{}`), 415},
		{"stub too large", "POST", "/api/v1/run/program", "text/plain", bytes.Repeat([]byte("x"), 65<<10), 413},
		{"bad query", "POST", "/api/v1/run/program?a[]=1", "text/plain", []byte(hello), 400},
		{"stream", "POST", "/api/v1/execute/stream", js, mustJSON(map[string]any{"harness": "program", "stub": hello, "seed": 1}), 200},
		{"stream refused", "POST", "/api/v1/execute/stream", js, []byte(`{"harness":"nope","stub":"x"}`), 404},
		{"format", "POST", "/api/v1/format", js, mustJSON(map[string]any{"stub": "fn main(){println!(\"x\");}"}), 200},
		{"format error", "POST", "/api/v1/format", js, mustJSON(map[string]any{"stub": "fn main( {"}), 200},
		{"format refused", "POST", "/api/v1/format", js, []byte(`{"stub":""}`), 400},
		{"clippy", "POST", "/api/v1/clippy", js, mustJSON(map[string]any{"harness": "program", "stub": hello}), 200},
		{"share", "POST", "/api/v1/shares", js, mustJSON(map[string]any{"state": map[string]any{"harness": "program", "stub": hello}}), 201},
		{"share refused", "POST", "/api/v1/shares", js, []byte(`{"state":{"harness":"nope","stub":"x"}}`), 404},
		{"no such share", "GET", "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAAAA", "", nil, 404},
		{"evaluate.json", "POST", "/evaluate.json", js, []byte(`{"version":"stable","optimize":"0","code":"fn main() { println!(\"hi\"); }","edition":"2021"}`), 200},
		{"metrics", "GET", "/metrics", "", nil, 200},
		{"health", "GET", "/healthz", "", nil, 200},
		{"contract", "GET", "/openapi.json", "", nil, 200},
		{"docs", "GET", "/docs", "", nil, 200},
		{"docs asset", "GET", "/docs/docs.js", "", nil, 200},
		{"no such docs asset", "GET", "/docs/x.js", "", nil, 404},
		{"playground", "GET", "/", "", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, raw := exchange(t, c, tc.method, tc.target, tc.ct, tc.body)
			assert.Equal(t, tc.code, code, "%s", raw)
			if tc.name == "share" {
				// The share just made reads back as the contract says.
				var made struct {
					ID string `json:"id"`
				}
				require.NoError(t, json.Unmarshal(raw, &made))
				code, raw := exchange(t, c, "GET", "/api/v1/shares/"+made.ID, "", nil)
				assert.Equal(t, http.StatusOK, code, "%s", raw)
			}
		})
	}
}

// /docs works offline: the page loads only its own embedded assets and
// the contract, each of which the server serves.
func TestDocsPageIsOffline(t *testing.T) {
	get := func(path string) (*http.Response, []byte) {
		resp, err := http.Get(baseURL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		return resp, b
	}
	resp, page := get("/docs")
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllSubmatch(page, -1)
	require.NotEmpty(t, refs)
	var script []byte
	for _, m := range refs {
		ref := string(m[1])
		require.True(t, strings.HasPrefix(ref, "/"), "the page refers to %s, off this server", ref)
		_, b := get(ref)
		if strings.HasSuffix(ref, ".js") {
			script = b
		}
	}
	require.NotEmpty(t, script, "the page has its renderer")
	assert.NotRegexp(t, `https?://`, string(script), "the renderer fetches nothing off this server")
	assert.Contains(t, string(script), `fetch("/openapi.json")`)
}
