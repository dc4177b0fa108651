package e2e

// /metrics against the real service: after a compile, a memo hit and a
// refusal, the counters they should move have moved.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scrape reads /metrics into sample name{labels} → value, as exposed.
func scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(baseURL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		out[line[:i]] = v
	}
	return out
}

// sum adds the samples whose name is name and whose labels include each
// of labels (`k="v"`).
func sum(samples map[string]float64, name string, labels ...string) float64 {
	var total float64
	for k, v := range samples {
		n, ls, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(ls, l)
		}
		if ok {
			total += v
		}
	}
	return total
}

func TestMetricsMoveWithRequests(t *testing.T) {
	before := scrape(t)
	// A stub no other test sends, so it is compiled here.
	stub := fmt.Sprintf("fn main() { println!(\"metrics\"); }\n// %d\n", time.Now().UnixNano())
	execute(t, map[string]any{"harness": "program", "stub": stub})
	execute(t, map[string]any{"harness": "program", "stub": stub}) // the memo answers
	code, _ := post(t, "/api/v1/execute", "application/json", []byte(`{"harness":"program","stub":"x","seed":-1}`))
	require.Equal(t, http.StatusBadRequest, code)
	after := scrape(t)

	moved := func(name string, labels ...string) float64 {
		return sum(after, name, labels...) - sum(before, name, labels...)
	}
	assert.Equal(t, 2.0, moved("rocket_sandbox_http_requests_total", `route="/api/v1/execute"`, `code="200"`))
	assert.Equal(t, 1.0, moved("rocket_sandbox_http_requests_total", `route="/api/v1/execute"`, `code="400"`))
	assert.Equal(t, 3.0, moved("rocket_sandbox_http_request_duration_seconds_count", `route="/api/v1/execute"`))
	assert.Equal(t, 2.0, moved("rocket_sandbox_results_total", `status="ok"`, `harness="program"`))
	assert.Equal(t, 1.0, moved("rocket_sandbox_compile_duration_seconds_count", `success="true"`))
	assert.Equal(t, 1.0, moved("rocket_sandbox_run_duration_seconds_count"))
	assert.Equal(t, 1.0, moved("rocket_sandbox_queue_wait_seconds_count"))
	assert.GreaterOrEqual(t, moved("rocket_sandbox_wasm_compile_duration_seconds_count"), 1.0, "the new module was compiled by wazero")
	assert.GreaterOrEqual(t, moved("rocket_sandbox_cache_lookups_total", `cache="result"`, `outcome="miss"`), 1.0)
	assert.Equal(t, 1.0, moved("rocket_sandbox_cache_lookups_total", `cache="result"`, `outcome="hit"`, `tier="memory"`))
	assert.GreaterOrEqual(t, moved("rocket_sandbox_cache_lookups_total", `cache="module"`, `outcome="miss"`), 1.0)

	// Gauges and the counter of failures are there, at rest.
	assert.Greater(t, sum(after, "rocket_sandbox_cache_bytes", `cache="result"`, `tier="memory"`), 0.0)
	_, ok := after["rocket_sandbox_jail_setup_failures_total"]
	assert.True(t, ok, "jail set-up failures are exposed")
	assert.Equal(t, 0.0, after["rocket_sandbox_jail_setup_failures_total"])
	for _, phase := range []string{"queued", "compiling", "running"} {
		v, ok := after[`rocket_sandbox_jobs_in_flight{phase="`+phase+`"}`]
		assert.True(t, ok, phase)
		assert.Equal(t, 0.0, v, "nothing is %s once every request has its answer", phase)
	}
	// Labels hold patterns, never what a request sent.
	for k := range after {
		assert.NotContains(t, k, "metrics ", "no label carries request content")
	}
}
