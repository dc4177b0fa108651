package e2e

// End-to-end checks of issue 14's front-door items (Host, origins, API
// keys, admission by expected wait) through the HTTP API only: the
// service TestMain starts, with the default server configuration.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// ignoredExample is a request the service answers without compiling (an
// ignored doctest): it passes every front-door check cheaply.
const ignoredExample = `{"harness": "example", "stub": "not Rust {", "args": {"attrs": "ignore"}}`

// send sends method to path with body and the headers given as name,
// value pairs; a "Host" pair sets the Host header.
func send(t *testing.T, method, path, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, baseURL+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

// A page whose DNS name was rebound to the service's address sends its
// own name as Host: it is refused before anything runs, with the problem
// body; so is any other host the service does not answer for.
func TestHardeningForeignHostsAreRefused(t *testing.T) {
	port := baseURL[strings.LastIndex(baseURL, ":")+1:]
	for _, host := range []string{"rebound.attacker.example:" + port, "attacker.example", "127.0.0.1.nip.io:" + port} {
		resp, body := send(t, http.MethodPost, "/api/v1/run/program", "fn main() {}", "Host", host, "Content-Type", "text/plain")
		assert.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode, "%s: %s", host, body)
		p := decodeProblem(t, body)
		assert.Equal(t, "invalid_request", p.Status)
		assert.Contains(t, p.Message, "allowed_hosts")
	}
	resp, body := send(t, http.MethodPost, "/api/v1/execute", ignoredExample, "Content-Type", "application/json")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the service's own address is served: %s", body)
}

// A hostile page's simple cross-site form post (text/plain needs no
// preflight) is refused, its preflight gets no CORS headers, and the
// service's own origin and non-browser clients are served.
func TestHardeningCrossSitePostsAreRefused(t *testing.T) {
	const other = "https://attacker.example"
	resp, body := send(t, http.MethodPost, "/api/v1/run/program", "fn main() {}",
		"Origin", other, "Sec-Fetch-Site", "cross-site", "Content-Type", "text/plain")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s", body)
	assert.Equal(t, "invalid_request", decodeProblem(t, body).Status)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	resp, body = send(t, http.MethodPost, "/api/v1/execute", ignoredExample, "Origin", "null", "Content-Type", "text/plain")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "an old browser's post from a sandboxed frame: %s", body)

	resp, _ = send(t, http.MethodOptions, "/api/v1/execute", "", "Origin", other, "Access-Control-Request-Method", "POST")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Methods"))

	resp, body = send(t, http.MethodPost, "/api/v1/execute", ignoredExample,
		"Origin", baseURL, "Sec-Fetch-Site", "same-origin", "Content-Type", "application/json")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the service's own origin: %s", body)
}

// An API key the service does not know is refused, even where keys are
// optional, rather than served as no key.
func TestHardeningUnknownAPIKeyIs401(t *testing.T) {
	resp, body := send(t, http.MethodPost, "/api/v1/execute", ignoredExample,
		"Authorization", "Bearer not-a-key", "Content-Type", "application/json")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s", body)
	assert.Equal(t, "invalid_request", decodeProblem(t, body).Status)
}

// A burst of new stubs that the slots can work through within the queue
// wait is served, not refused: admission goes by the expected wait, not
// by a fixed queue of four per slot (which refused 2 of these 12 on a
// 2-core machine, and 50 of 60).
func TestHardeningABurstWithinTheQueueWaitIsServed(t *testing.T) {
	const n = 12
	codes := make([]int, n)
	bodies := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stub := fmt.Sprintf("fn main() { println!(\"burst {}\", %d); }\n", i)
			req, err := http.NewRequest(http.MethodPost, baseURL+"/api/v1/run/program", bytes.NewReader([]byte(stub)))
			if err != nil {
				t.Error(err)
				return
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			codes[i] = resp.StatusCode
			bodies[i], _ = io.ReadAll(resp.Body)
		})
	}
	wg.Wait()
	for i := range n {
		require.Equal(t, http.StatusOK, codes[i], "job %d: %s", i, bodies[i])
		r := decodeResponse(t, bodies[i])
		assert.Equal(t, outcome.StatusOK, r.Status)
		require.NotNil(t, r.Run)
		assert.Equal(t, fmt.Sprintf("burst %d\n", i), r.Run.Stdout)
	}
}
