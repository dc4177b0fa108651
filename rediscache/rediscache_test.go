package rediscache

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/testredis"
)

const key = "0123456789abcdef0123456789abcdef"

func open2(t *testing.T, srv *testredis.Server, cfg Config) (*Client, *redis.Client) {
	t.Helper()
	cfg.URL = srv.URL
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	raw := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { raw.Close() })
	return c, raw
}

func TestConfigValidate(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	cfg := DefaultConfig()
	cfg.URL = "http://user:secret@host"
	cfg.LeaseMS = 1
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "url:")
	assert.Contains(t, err.Error(), "lease_ms: 1 is out of range 100..600000")
	assert.NotContains(t, err.Error(), "secret", "the URL may hold a password")
	cfg = DefaultConfig()
	cfg.URL = "redis://127.0.0.1:6379/0"
	assert.NoError(t, cfg.Validate())
	assert.True(t, cfg.Enabled())
	assert.False(t, DefaultConfig().Enabled())
}

func TestPutGetRoundTrip(t *testing.T) {
	c, _ := open2(t, testredis.Start(t), Config{})
	ctx := context.Background()
	_, ok := c.Get(ctx, key)
	assert.False(t, ok)
	c.Put(ctx, key, []byte("value"))
	v, ok := c.Get(ctx, key)
	require.True(t, ok)
	assert.Equal(t, "value", string(v))
	assert.Equal(t, uint64(1), c.Stats().Hits)
}

// Redis is untrusted: what is not a sealed value of this key, within
// the cap, is a miss.
func TestUntrustedValuesAreMisses(t *testing.T) {
	srv := testredis.Start(t)
	c, raw := open2(t, srv, Config{MaxValueBytes: 1 << 10})
	ctx := context.Background()
	other := strings.Repeat("ab", 16)
	corrupt := seal(key, []byte("value"))
	corrupt[len(corrupt)-1] ^= 1
	for name, set := range map[string]func(){
		"foreign bytes": func() { raw.Set(ctx, valuePrefix+key, "hello", 0) },
		"corrupted":     func() { raw.Set(ctx, valuePrefix+key, corrupt, 0) },
		"another key's": func() { raw.Set(ctx, valuePrefix+key, seal(other, []byte("value")), 0) },
		"oversized":     func() { raw.Set(ctx, valuePrefix+key, seal(key, make([]byte, 2<<10)), 0) },
		"not a string":  func() { raw.Del(ctx, valuePrefix+key); raw.LPush(ctx, valuePrefix+key, "x") },
		"truncated":     func() { raw.Set(ctx, valuePrefix+key, seal(key, []byte("value"))[:10], 0) },
	} {
		raw.Del(ctx, valuePrefix+key)
		set()
		before := c.Stats().Rejected
		_, ok := c.Get(ctx, key)
		assert.False(t, ok, name)
		assert.Equal(t, before+1, c.Stats().Rejected, name)
		assert.True(t, c.Up(), "%s: a bad value is not Redis being down", name)
	}
	// A value over the cap is not stored either.
	raw.Del(ctx, valuePrefix+key)
	c.Put(ctx, key, make([]byte, 2<<10))
	assert.Equal(t, int64(0), raw.Exists(ctx, valuePrefix+key).Val())
}

// Two replicas asked for the same key at once: one computes, the other
// gets its value.
func TestDoRunsOnceAcrossClients(t *testing.T) {
	srv := testredis.Start(t)
	a, _ := open2(t, srv, Config{})
	b, _ := open2(t, srv, Config{})
	var calls atomic.Int32
	release := make(chan struct{})
	fn := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-release
		return []byte("computed"), nil
	}
	var wg sync.WaitGroup
	results := make([]string, 6)
	hits := make([]bool, 6)
	for i := range 6 {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var leader []byte
			v, hit, err := c.Do(context.Background(), key, func(ctx context.Context) ([]byte, error) {
				v, err := fn(ctx)
				leader = v
				return v, err
			})
			assert.NoError(t, err)
			if !hit {
				v = leader
			}
			results[i], hits[i] = string(v), hit
		}()
	}
	// Every caller is in: one leads, the rest wait for it.
	require.Eventually(t, func() bool { return a.Stats().Waits+b.Stats().Waits == 5 }, 10*time.Second, 5*time.Millisecond)
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load(), "one computation for six callers on two clients")
	for i := range results {
		assert.Equal(t, "computed", results[i])
	}
	assert.Equal(t, uint64(1), a.Stats().Leads+b.Stats().Leads)
}

// A lease whose owner died runs out, and a waiter takes the key over.
func TestDeadOwnersLeaseRunsOut(t *testing.T) {
	srv := testredis.Start(t)
	c, raw := open2(t, srv, Config{LeaseMS: 300, PollMS: 10})
	ctx := context.Background()
	require.True(t, raw.SetNX(ctx, leasePrefix+key, "a dead replica", 300*time.Millisecond).Val())
	ran := false
	_, hit, err := c.Do(ctx, key, func(context.Context) ([]byte, error) { ran = true; return []byte("v"), nil })
	require.NoError(t, err)
	assert.False(t, hit)
	assert.True(t, ran, "the waiter computed once the lease ran out")
	assert.Equal(t, uint64(1), c.Stats().Takeovers)
	v, ok := c.Get(ctx, key)
	assert.True(t, ok)
	assert.Equal(t, "v", string(v))
	assert.Equal(t, int64(0), raw.Exists(ctx, leasePrefix+key).Val(), "the lease is released")
}

// A waiter gives up when its caller's deadline ends.
func TestWaitEndsWithTheCaller(t *testing.T) {
	srv := testredis.Start(t)
	c, raw := open2(t, srv, Config{PollMS: 5})
	require.True(t, raw.SetNX(context.Background(), leasePrefix+key, "busy", time.Minute).Val())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, _, err := c.Do(ctx, key, func(context.Context) ([]byte, error) {
		t.Error("the lease is another's: fn must not run")
		return nil, nil
	})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, c.Up())
}

// Redis killed: every call degrades to the caller's own work, and the
// tier says it is down.
func TestRedisDownDegrades(t *testing.T) {
	srv := testredis.Start(t)
	c, _ := open2(t, srv, Config{OpTimeoutMS: 200})
	ctx := context.Background()
	c.Put(ctx, key, []byte("v"))
	srv.Kill()
	_, ok := c.Get(ctx, key)
	assert.False(t, ok)
	assert.False(t, c.Up())
	ran := false
	_, hit, err := c.Do(ctx, key, func(context.Context) ([]byte, error) { ran = true; return []byte("v"), nil })
	require.NoError(t, err)
	assert.False(t, hit)
	assert.True(t, ran)
	assert.NotZero(t, c.Stats().Errors)
}

// A client whose Redis is not there at start starts degraded.
func TestStartsDegraded(t *testing.T) {
	srv := testredis.Start(t)
	url := srv.URL
	srv.Kill()
	c, err := New(Config{URL: url, OpTimeoutMS: 100})
	require.NoError(t, err)
	defer c.Close()
	assert.False(t, c.Up())
}

// A panicking fn releases its lease: the next caller computes at once.
func TestPanicReleasesTheLease(t *testing.T) {
	srv := testredis.Start(t)
	c, raw := open2(t, srv, Config{LeaseMS: 60_000})
	func() {
		defer func() { assert.NotNil(t, recover()) }()
		c.Do(context.Background(), key, func(context.Context) ([]byte, error) { panic("boom") })
	}()
	assert.Equal(t, int64(0), raw.Exists(context.Background(), leasePrefix+key).Val(), "released, not left to run out")
}
