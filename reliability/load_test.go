package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxLoadRSS bounds the service's peak resident memory under the load
// below: admitted jobs (two compiles, two runs at 256 MiB guest memory at
// most) and queued bodies, over the caches' own budgets.
const maxLoadRSS = 2 << 30

// TestLoadPastAdmission sends 10 × (max_concurrent + max_queue) new stubs
// at once. Every answer must be a correct 200 or a 503 with Retry-After —
// never another 5xx, never a wrong result — the service must keep
// answering /healthz throughout, and its peak RSS stays under a bound.
func TestLoadPastAdmission(t *testing.T) {
	const concurrent, queue = 2, 4
	s := start(t, options{cacheDir: cacheDir(t), maxConcurrent: concurrent, maxQueue: queue, queueWaitMS: 20_000})
	n := 10 * (concurrent + queue)

	// /healthz, every 50 ms, while the burst is served.
	stopHealth := make(chan struct{})
	var worstHealth time.Duration
	var healthFailures int
	var healthWG sync.WaitGroup
	healthWG.Add(1)
	go func() {
		defer healthWG.Done()
		hc := &http.Client{Timeout: 2 * time.Second}
		for {
			select {
			case <-stopHealth:
				return
			case <-time.After(50 * time.Millisecond):
			}
			t0 := time.Now()
			res, err := hc.Get(s.url + "/healthz")
			d := time.Since(t0)
			if err != nil || res.StatusCode != http.StatusOK {
				healthFailures++
			} else {
				res.Body.Close()
			}
			if d > worstHealth {
				worstHealth = d
			}
		}
	}()

	type answer struct {
		code       int
		retryAfter string
		body       []byte
		err        error
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			code, ra, body, err := s.execute(context.Background(), map[string]any{"harness": "program", "stub": helloStub(1000 + i)})
			answers[i] = answer{code, ra, body, err}
		}(i)
	}
	wg.Wait()
	close(stopHealth)
	healthWG.Wait()

	counts := map[int]int{}
	for i, a := range answers {
		require.NoError(t, a.err, "request %d", i)
		counts[a.code]++
		switch a.code {
		case http.StatusOK:
			var r struct {
				Status string `json:"status"`
				Run    struct {
					Stdout string `json:"stdout"`
				} `json:"run"`
			}
			require.NoError(t, json.Unmarshal(a.body, &r))
			assert.Equal(t, "ok", r.Status, "request %d: %s", i, a.body)
			assert.Equal(t, fmt.Sprintf("hello %d\n", 1000+i), r.Run.Stdout, "request %d gets its own program's output", i)
		case http.StatusServiceUnavailable:
			assert.NotEmpty(t, a.retryAfter, "a 503 says when to come back")
			assert.Contains(t, string(a.body), `"status":"overloaded"`)
		default:
			t.Errorf("request %d: HTTP %d: %s", i, a.code, a.body)
		}
	}
	assert.Zero(t, healthFailures, "/healthz answered 200 within 2 s every time")
	// The service's processes: the keeper and, split, the front door
	// (the run workers and compiles are bounded by their cgroups).
	var rss int64
	for _, pid := range append([]int{s.pid()}, s.frontDoor()...) {
		r, err := peakRSS(pid)
		require.NoError(t, err)
		rss += r
	}
	assert.Less(t, rss, int64(maxLoadRSS), "peak RSS")
	t.Logf("load: %d requests at once: %d × 200, %d × 503; worst /healthz %s; peak RSS %d MiB",
		n, counts[http.StatusOK], counts[http.StatusServiceUnavailable], worstHealth.Round(time.Millisecond), rss>>20)
}
