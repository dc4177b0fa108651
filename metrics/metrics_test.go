package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// exposition is what /metrics would answer.
func exposition(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return string(b)
}

type tierStore struct{ tier cache.Tier }

func (s tierStore) Get(string) ([]byte, cache.Tier) { return nil, s.tier }
func (tierStore) Put(string, []byte) error          { return nil }

func TestStoreLookupsByTier(t *testing.T) {
	m := New()
	m.Store("result", tierStore{cache.Memory}).Get("k")
	m.Store("result", tierStore{cache.Miss}).Get("k")
	m.Store("module", tierStore{cache.Disk}).Get("k")
	m.Store("module", tierStore{"redis"}).Get("k") // a tier added later still counts
	out := exposition(t, m)
	for _, line := range []string{
		`rocket_sandbox_cache_lookups_total{cache="result",outcome="hit",tier="memory"} 1`,
		`rocket_sandbox_cache_lookups_total{cache="result",outcome="miss",tier="none"} 1`,
		`rocket_sandbox_cache_lookups_total{cache="module",outcome="hit",tier="disk"} 1`,
		`rocket_sandbox_cache_lookups_total{cache="module",outcome="hit",tier="redis"} 1`,
	} {
		assert.Contains(t, out, line)
	}
}

type failingRunner struct{ err error }

func (r failingRunner) Run(context.Context, jail.Command) (jail.Result, error) {
	return jail.Result{}, r.err
}

// A jail that cannot start a job counts; a caller that gave up does not.
func TestJailSetupFailuresCountOnlyTheJails(t *testing.T) {
	m := New()
	_, _ = m.Runner(failingRunner{errors.New("jail: start init: boom")}).Run(context.Background(), jail.Command{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _ = m.Runner(failingRunner{context.Canceled}).Run(ctx, jail.Command{})
	_, _ = m.Runner(failingRunner{nil}).Run(context.Background(), jail.Command{})
	assert.Contains(t, exposition(t, m), "rocket_sandbox_jail_setup_failures_total 1\n")
}

func TestCacheBytesAreReadAtScrape(t *testing.T) {
	m := New()
	n := int64(10)
	m.CacheBytes("result", func() map[string]int64 { return map[string]int64{"memory": n, "disk": 2 * n} })
	m.CacheBytes("module", func() map[string]int64 { return map[string]int64{"memory": 1} })
	assert.Contains(t, exposition(t, m), `rocket_sandbox_cache_bytes{cache="result",tier="memory"} 10`)
	n = 42
	out := exposition(t, m)
	assert.Contains(t, out, `rocket_sandbox_cache_bytes{cache="result",tier="memory"} 42`)
	assert.Contains(t, out, `rocket_sandbox_cache_bytes{cache="result",tier="disk"} 84`)
	assert.Contains(t, out, `rocket_sandbox_cache_bytes{cache="module",tier="memory"} 1`)
	assert.True(t, strings.Contains(out, "go_goroutines"), "the Go collector is registered")
}

type fakeShared struct {
	hit bool
	up  bool
}

func (f fakeShared) Do(ctx context.Context, _ string, fn func(context.Context) ([]byte, error)) ([]byte, bool, error) {
	if f.hit {
		return []byte("v"), true, nil
	}
	v, err := fn(ctx)
	return v, false, err
}
func (f fakeShared) Up() bool                                 { return f.up }
func (fakeShared) Get(context.Context, string) ([]byte, bool) { return nil, false }
func (fakeShared) Put(context.Context, string, []byte)        {}

func TestSharedTierLookupsAndUp(t *testing.T) {
	m := New()
	compute := func(context.Context) ([]byte, error) { return []byte("v"), nil }
	_, _, _ = m.Shared(fakeShared{hit: true, up: false}).Do(context.Background(), "k", compute)
	out := exposition(t, m)
	assert.Contains(t, out, `rocket_sandbox_cache_lookups_total{cache="shared",outcome="hit",tier="redis"} 1`)
	assert.Contains(t, out, "rocket_sandbox_shared_tier_up 0\n")

	m = New()
	_, _, _ = m.Shared(fakeShared{up: true}).Do(context.Background(), "k", compute)
	out = exposition(t, m)
	assert.Contains(t, out, `rocket_sandbox_cache_lookups_total{cache="shared",outcome="miss",tier="none"} 1`)
	assert.Contains(t, out, "rocket_sandbox_shared_tier_up 1\n")
}

type holdingEngine struct{ sandbox.Engine }

func (holdingEngine) Holds(key string) bool { return key == "held" }

// The decorator keeps the engine's optional Holds (sandbox reads modules'
// bytes only for engines that do not hold them).
func TestEngineSeamKeepsHolds(t *testing.T) {
	e := New().Engine(holdingEngine{})
	h, ok := e.(interface{ Holds(string) bool })
	require.True(t, ok)
	assert.True(t, h.Holds("held"))
	assert.False(t, h.Holds("other"))
}

func TestSharedEventsAreReadAtScrape(t *testing.T) {
	m := New()
	n := uint64(0)
	m.SharedEvents(func() map[string]uint64 { return map[string]uint64{SharedRejected: n, SharedTakeover: 1} })
	n = 3
	out := exposition(t, m)
	assert.Contains(t, out, `rocket_sandbox_shared_tier_events_total{event="rejected"} 3`)
	assert.Contains(t, out, `rocket_sandbox_shared_tier_events_total{event="takeover"} 1`)
}
