package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/internal/testredis"
	"github.com/rocket-sandbox/rocket-sandbox/rediscache"
)

// replicas builds two services over their own stores and one real Redis,
// sharing c and e so that their work can be counted.
func replicas(t *testing.T, srv *testredis.Server, c Compiler, e Engine) ([2]*Service, [2]*rediscache.Client) {
	t.Helper()
	var out [2]*Service
	var clients [2]*rediscache.Client
	for i := range out {
		var stores [3]*cache.Store
		for j := range stores {
			s, err := cache.New(cache.Config{Dir: t.TempDir()})
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			stores[j] = s
		}
		shared, err := rediscache.New(rediscache.Config{URL: srv.URL, PollMS: 2, OpTimeoutMS: 300})
		require.NoError(t, err)
		t.Cleanup(func() { shared.Close() })
		svc, err := NewService(Config{}, Deps{Harnesses: harnesses.Default(), Compiler: c, Engine: e,
			Results: stores[0], Modules: stores[1], Shares: stores[2], Fingerprint: "fingerprint-for-tests", Shared: shared})
		require.NoError(t, err)
		out[i], clients[i] = svc, shared
	}
	return out, clients
}

func TestAReplicaAnswersWhatAnotherComputed(t *testing.T) {
	c, e := &countingCompiler{}, &countingEngine{}
	r, _ := replicas(t, testredis.Start(t), c, e)
	req := programReq("fn main() {}\n", "a")
	first, err := r[0].Execute(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, cache.Miss, first.Cache.Result)

	second, err := r[1].Execute(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, cache.Redis, second.Cache.Result, "the other replica's result, through Redis")
	assert.Equal(t, first.Run.Stdout, second.Run.Stdout)
	third, err := r[1].Execute(context.Background(), req)
	require.NoError(t, err)
	assert.Equal(t, cache.Memory, third.Cache.Result, "promoted to the replica's own memory tier")

	// New stdin for the same source: a new result, the module from Redis.
	other, err := r[1].Execute(context.Background(), programReq("fn main() {}\n", "b"))
	require.NoError(t, err)
	assert.Equal(t, cache.Miss, other.Cache.Result)
	assert.Equal(t, cache.Redis, other.Cache.Module)
	assert.True(t, other.Compile.Cached)
	assert.EqualValues(t, 1, c.calls.Load(), "one compile for both replicas")
	assert.EqualValues(t, 2, e.runs.Load())
	assert.Equal(t, Health{Status: "ok", Redis: "up"}, r[0].Health())
}

func TestConcurrentRequestsOnBothReplicasShareOneCompile(t *testing.T) {
	g := newGatedCompiler()
	r, shared := replicas(t, testredis.Start(t), g, echoEngine{})
	const n = 8
	var wg sync.WaitGroup
	resps := make([]Response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := r[i%2].Execute(context.Background(), programReq("fn main() {}\n", "same"))
			assert.NoError(t, err)
			resps[i] = resp
		}()
	}
	// Every request is in, and while one replica compiles, the other
	// waits on its lease.
	req := programReq("fn main() {}\n", "same")
	req.Args, _ = canonicalArgs(req.Args)
	key := r[0].resultKey(req)
	require.Eventually(t, func() bool {
		return g.started.Load() == 1 && r[0].flight.waiting(key) == n/2 && r[1].flight.waiting(key) == n/2 &&
			shared[0].Stats().Waits+shared[1].Stats().Waits == 1
	}, 10*time.Second, time.Millisecond)
	close(g.release)
	wg.Wait()
	assert.EqualValues(t, 1, g.started.Load(), "one compile for %d requests on two replicas", n)
	tiers := map[cache.Tier]int{}
	for _, resp := range resps {
		assert.Equal(t, outcome.StatusOK, resp.Status)
		assert.Equal(t, resps[0].Run.Stdout, resp.Run.Stdout)
		tiers[resp.Cache.Result]++
	}
	assert.Equal(t, map[cache.Tier]int{cache.Miss: n / 2, cache.Redis: n / 2}, tiers,
		"one replica computed, the other answered from Redis")
}

func TestRedisDownDegradesToTheLocalTiers(t *testing.T) {
	srv := testredis.Start(t)
	c, e := &countingCompiler{}, &countingEngine{}
	r, _ := replicas(t, srv, c, e)
	_, err := r[0].Execute(context.Background(), programReq("fn main() {}\n", "a"))
	require.NoError(t, err)
	srv.Kill()
	for i, svc := range r {
		resp, err := svc.Execute(context.Background(), programReq("fn main() {}\n", "after"))
		require.NoError(t, err, "replica %d", i)
		assert.Equal(t, outcome.StatusOK, resp.Status)
		assert.Equal(t, Health{Status: "degraded", Redis: "down"}, svc.Health())
	}
	again, err := r[0].Execute(context.Background(), programReq("fn main() {}\n", "a"))
	require.NoError(t, err)
	assert.Equal(t, cache.Memory, again.Cache.Result, "the local tiers still answer")
}

func TestNoSharedTierIsHealthyAsToday(t *testing.T) {
	svc := newCachedService(t, &countingCompiler{}, &countingEngine{})
	assert.Equal(t, Health{Status: "ok"}, svc.Health())
}

// A share link made on one replica opens on the other; a state in Redis
// that does not hash to its id is not served.
func TestSharesOpenOnEveryReplica(t *testing.T) {
	srv := testredis.Start(t)
	r, _ := replicas(t, srv, &countingCompiler{}, &countingEngine{})
	id, err := r[0].Share(programReq("fn main() {}\n", "shared"))
	require.NoError(t, err)
	state, err := r[1].Shared(id)
	require.NoError(t, err, "stored by the other replica")
	mine, err := r[0].Shared(id)
	require.NoError(t, err)
	assert.JSONEq(t, string(mine), string(state))

	// A forged state under another id's key: refused.
	other, err := r[0].Share(programReq("fn main() {}\n", "other"))
	require.NoError(t, err)
	raw, _ := base64.RawURLEncoding.DecodeString(other)
	shared, err := rediscache.New(rediscache.Config{URL: srv.URL})
	require.NoError(t, err)
	defer shared.Close()
	shared.Put(context.Background(), hex.EncodeToString(raw), []byte(`{"harness":"program","stub":"forged"}`))
	fresh, _ := replicas(t, srv, &countingCompiler{}, &countingEngine{})
	_, err = fresh[0].Shared(other)
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeMissing, e.Code)
}
