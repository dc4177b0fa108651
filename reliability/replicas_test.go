package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/testredis"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// Issue 11, item 6: replicas sharing one cache through a real Redis. Two
// `serve` processes of the same binary, each with caches of its own,
// and one redis-server; all black-box, over HTTP.

// twoReplicas starts redis-server and two replicas configured with it.
func twoReplicas(t *testing.T, leaseMS int) (*testredis.Server, [2]*service) {
	t.Helper()
	srv := testredis.Start(t)
	var r [2]*service
	for i := range r {
		r[i] = start(t, options{cacheDir: cacheDir(t), redisURL: srv.URL, leaseMS: leaseMS})
	}
	return srv, r
}

// answer is what the replicas tests read of a response.
type answer struct {
	Status string `json:"status"`
	Cache  struct {
		Result string `json:"result"`
		Module string `json:"module"`
	} `json:"cache"`
	Run struct {
		Stdout string `json:"stdout"`
	} `json:"run"`
	raw []byte
}

func ask(t *testing.T, s *service, stub string) answer {
	t.Helper()
	code, _, body, err := s.execute(context.Background(), map[string]any{"harness": "program", "stub": stub})
	require.NoError(t, err)
	require.Equal(t, 200, code, "%s", body)
	var a answer
	require.NoError(t, json.Unmarshal(body, &a), "%s", body)
	a.raw = body
	return a
}

func sameResult(t *testing.T, a, b []byte) {
	t.Helper()
	x, err := sandbox.WithoutVolatile(a)
	require.NoError(t, err)
	y, err := sandbox.WithoutVolatile(b)
	require.NoError(t, err)
	assert.Equal(t, x, y)
}

func health(t *testing.T, s *service) sandbox.Health {
	t.Helper()
	code, body, err := s.get("/healthz")
	require.NoError(t, err)
	require.Equal(t, 200, code, "a degraded replica still serves: /healthz is 200")
	var h sandbox.Health
	require.NoError(t, json.Unmarshal(body, &h))
	return h
}

func TestReplicaAnswersAnotherReplicasResult(t *testing.T) {
	_, r := twoReplicas(t, 0)
	stub := helloStub(1101)
	first := ask(t, r[0], stub)
	assert.Equal(t, "ok", first.Status)
	assert.Equal(t, "miss", first.Cache.Result)
	second := ask(t, r[1], stub)
	assert.Equal(t, "redis", second.Cache.Result, "computed by the other replica, found in Redis")
	sameResult(t, first.raw, second.raw)
	assert.Equal(t, sandbox.Health{Status: "ok", Redis: "up"}, health(t, r[1]))
	assert.Contains(t, scrape(t, r[1]), `rocket_sandbox_cache_lookups_total{cache="shared",outcome="hit",tier="redis"} 1`)
}

func TestConcurrentIdenticalRequestsOnTwoReplicasCompileOnce(t *testing.T) {
	_, r := twoReplicas(t, 0)
	stub := helloStub(1102)
	const n = 6
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = ask(t, r[i%2], stub)
		}()
	}
	wg.Wait()
	// The replica that computed says miss; the other, which waited on its
	// lease, answers from Redis (a request that came in after its
	// replica had the answer: from memory). Had both compiled, both
	// would say miss.
	computedBy := map[int]bool{}
	for i, a := range answers {
		assert.Equal(t, "ok", a.Status)
		assert.Equal(t, "hello 1102\n", a.Run.Stdout)
		sameResult(t, answers[0].raw, a.raw)
		switch a.Cache.Result {
		case "miss":
			computedBy[i%2] = true
			assert.Equal(t, "miss", a.Cache.Module, "compiled here")
		case "redis", "memory":
		default:
			t.Errorf("request %d answered from %q", i, a.Cache.Result)
		}
	}
	assert.Len(t, computedBy, 1, "one replica compiled and ran it for all %d requests: %v", n, computedBy)
}

// The replica that holds the lease is SIGKILLed mid-compile: its lease
// runs out and the other replica, whose request waited on it, compiles.
func TestOwnerKilledMidCompileTheOtherCompletes(t *testing.T) {
	srv, r := twoReplicas(t, 1000)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	stub := helloStub(1103)

	go r[0].execute(context.Background(), map[string]any{"harness": "program", "stub": stub}) // dies with r[0]
	// The owner holds the request's lease and its compile's.
	require.Eventually(t, func() bool {
		return len(rdb.Keys(context.Background(), "rocket-sandbox:v1:lease:*").Val()) == 2
	}, 30*time.Second, 2*time.Millisecond, "replica 0 never took the leases")

	type got struct {
		a   answer
		err error
	}
	done := make(chan got, 1)
	go func() {
		code, _, body, err := r[1].execute(context.Background(), map[string]any{"harness": "program", "stub": stub})
		var a answer
		if err == nil {
			if code != 200 {
				err = fmt.Errorf("status %d: %s", code, body)
			} else {
				err = json.Unmarshal(body, &a)
			}
		}
		done <- got{a, err}
	}()
	r[0].kill9()
	res := <-done
	require.NoError(t, res.err)
	assert.Equal(t, "ok", res.a.Status)
	assert.Equal(t, "hello 1103\n", res.a.Run.Stdout)
	assert.Equal(t, "miss", res.a.Cache.Result, "the surviving replica computed it after the dead owner's lease ran out")
	assert.Regexp(t, `rocket_sandbox_shared_tier_events_total\{event="takeover"\} [1-9]`, scrape(t, r[1]))
}

// scrape is a replica's /metrics.
func scrape(t *testing.T, s *service) string {
	t.Helper()
	code, body, err := s.get("/metrics")
	require.NoError(t, err)
	require.Equal(t, 200, code)
	return string(body)
}

func TestRedisKilledRequestsStillSucceed(t *testing.T) {
	srv, r := twoReplicas(t, 0)
	before := ask(t, r[0], helloStub(1104))
	assert.Equal(t, "ok", before.Status)
	srv.Kill()
	for i, s := range r {
		a := ask(t, s, helloStub(1105+i))
		assert.Equal(t, "ok", a.Status, "replica %d", i)
		assert.Equal(t, fmt.Sprintf("hello %d\n", 1105+i), a.Run.Stdout)
		assert.Equal(t, sandbox.Health{Status: "degraded", Redis: "down"}, health(t, s), "replica %d", i)
		assert.Contains(t, scrape(t, s), "rocket_sandbox_shared_tier_up 0\n", "replica %d", i)
	}
	again := ask(t, r[0], helloStub(1104))
	assert.Equal(t, "memory", again.Cache.Result, "the local tiers still answer")
}
