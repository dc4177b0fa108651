// Package rediscache is the tier that replicas of the service share: the
// memoized values in a Redis server, below each replica's own memory and
// disk tiers, and a lease per key, so that of several replicas asked for
// the same thing at once one computes it and the others wait for its
// value (single flight across replicas).
//
// Redis is as untrusted as a disk. A value is used only when it is
// within the size cap and its checksum, over the key and the value,
// holds; anything else (corrupted, oversized, written by something else,
// copied from another key) is a miss. Redis being down costs hits, never
// requests: the client notices, answers every call as a miss or runs the
// work itself without a lease, and probes in the background until Redis
// answers again (Up, Stats).
package rediscache

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
)

// Config configures the shared tier: plain data, its defaults in
// DefaultConfig, checked by Validate. An empty URL turns the tier off:
// the service is a single node, exactly as without this package.
type Config struct {
	// URL names the Redis server: redis://[[user]:password@]host:port/db
	// (rediss:// for TLS). Empty: no shared tier.
	URL string `json:"url"`
	// LeaseMS is how long a replica's claim on a key lasts without being
	// renewed (default 5 s; 100 ms..10 min). The owner renews it every
	// third of that while it works, so it only runs out when the owner
	// died or stalled; then another replica takes the key over.
	LeaseMS int64 `json:"lease_ms"`
	// PollMS is how often a replica waiting for another's value looks
	// for it (default 20 ms; 1 ms..10 s).
	PollMS int64 `json:"poll_ms"`
	// OpTimeoutMS bounds one round trip to Redis (default 500 ms;
	// 1 ms..1 min); past it Redis counts as down.
	OpTimeoutMS int64 `json:"op_timeout_ms"`
	// MaxValueBytes is the largest value stored or read (default 32 MiB;
	// 1 B..512 MiB, Redis's own cap on a string).
	MaxValueBytes int64 `json:"max_value_bytes"`
	// EntryTTLSeconds is how long a value stays in Redis after it is
	// stored (default 7 days; 1 min..1 year). Redis's own maxmemory
	// policy bounds the bytes (docs/operations.md).
	EntryTTLSeconds int64 `json:"entry_ttl_seconds"`
}

// DefaultConfig returns the documented defaults (no URL: off).
func DefaultConfig() Config {
	return Config{LeaseMS: 5_000, PollMS: 20, OpTimeoutMS: 500, MaxValueBytes: 32 << 20, EntryTTLSeconds: 7 * 24 * 3600}
}

// Validate refuses values the tier cannot work with, naming each by its
// key. The URL is parsed but never repeated: it may hold a password.
func (c Config) Validate() error {
	var l check.List
	if c.URL != "" {
		if _, err := redis.ParseURL(c.URL); err != nil {
			l.Add("url", "not a Redis URL (redis://[[user]:password@]host:port/db or rediss://…)")
		}
	}
	check.Range(&l, "lease_ms", c.LeaseMS, 100, 600_000)
	check.Range(&l, "poll_ms", c.PollMS, 1, 10_000)
	check.Range(&l, "op_timeout_ms", c.OpTimeoutMS, 1, 60_000)
	check.Range(&l, "max_value_bytes", c.MaxValueBytes, 1, 512<<20)
	check.Range(&l, "entry_ttl_seconds", c.EntryTTLSeconds, 60, 365*24*3600)
	return l.Err()
}

// Enabled says whether a URL is configured.
func (c Config) Enabled() bool { return c.URL != "" }

func (c Config) withDefaults() Config { return check.WithDefaults(c, DefaultConfig()) }

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// Keys in Redis: values and leases, apart from anything else there.
const (
	valuePrefix = "rocket-sandbox:v1:value:"
	leasePrefix = "rocket-sandbox:v1:lease:"
)

// A stored value is magic, then the SHA-256 of the key and the value,
// then the value.
var magic = []byte("rsbx1")

const headerLen = 5 + sha256.Size

func checksum(key string, value []byte) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "rocket-sandbox shared value v1|%d:%s|", len(key), key)
	h.Write(value)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

func seal(key string, value []byte) []byte {
	sum := checksum(key, value)
	out := make([]byte, 0, headerLen+len(value))
	out = append(append(append(out, magic...), sum[:]...), value...)
	return out
}

// open returns the value sealed in b under key, or false when b is not
// one: a foreign, truncated, corrupted or moved value.
func open(key string, b []byte) ([]byte, bool) {
	if len(b) < headerLen || !bytes.Equal(b[:len(magic)], magic) {
		return nil, false
	}
	value := b[headerLen:]
	sum := checksum(key, value)
	if !bytes.Equal(b[len(magic):headerLen], sum[:]) {
		return nil, false
	}
	return value, true
}

// Scripts: a read that refuses what is not a string or is over the cap
// before sending it, and renewing and releasing a lease only while it is
// still the caller's.
var (
	getScript = redis.NewScript(`
local t = redis.call('TYPE', KEYS[1])['ok']
if t == 'none' then return false end
if t ~= 'string' then return -1 end
if redis.call('STRLEN', KEYS[1]) > tonumber(ARGV[1]) then return -1 end
return redis.call('GET', KEYS[1])`)
	renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
)

// Stats counts what the tier did since the client opened (for metrics).
type Stats struct {
	Up bool
	// Lookups by outcome: found and sound; absent; present but refused
	// (checksum, size or type).
	Hits, Misses, Rejected uint64
	// Errors counts calls that failed because Redis did not answer.
	Errors uint64
	// Leads counts leases taken (this replica computed), Waits the times
	// it waited on another's lease, Takeovers the waits that ended with
	// the lease gone and no value (its owner died, or had nothing to
	// share), after which this replica tried to lead.
	Leads, Waits, Takeovers uint64
}

// Client is a connection to the shared tier.
type Client struct {
	cfg Config
	rdb *redis.Client

	up      atomic.Bool
	probing atomic.Bool
	done    chan struct{}
	close   sync.Once

	hits, misses, rejected, errs, leads, waits, takeovers atomic.Uint64
	lastLogged                                            atomic.Int64
}

// New connects to cfg.URL (which must be set) and checks that Redis
// answers; one that does not is no reason to refuse to start: the client
// begins degraded and probes until it answers.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("redis: bad config: %w", err)
	}
	if !cfg.Enabled() {
		return nil, errors.New("redis: no url")
	}
	opt, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, errors.New("redis: bad url") // never the URL: it may hold a password
	}
	op := ms(cfg.OpTimeoutMS)
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = op, op, op
	opt.ContextTimeoutEnabled = true
	opt.MaxRetries = -1 // a failed call is a miss; retrying only delays the request
	opt.DisableIdentity = true
	c := &Client{cfg: cfg, rdb: redis.NewClient(opt), done: make(chan struct{})}
	c.up.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), op)
	defer cancel()
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		c.failed(context.Background(), err)
	}
	return c, nil
}

// Close stops probing and closes the connections.
func (c *Client) Close() error {
	c.close.Do(func() { close(c.done) })
	return c.rdb.Close()
}

// Up says whether Redis answered the last call (false: the service runs
// on its local tiers).
func (c *Client) Up() bool { return c.up.Load() }

// Stats reports the counters.
func (c *Client) Stats() Stats {
	return Stats{Up: c.up.Load(), Hits: c.hits.Load(), Misses: c.misses.Load(), Rejected: c.rejected.Load(),
		Errors: c.errs.Load(), Leads: c.leads.Load(), Waits: c.waits.Load(), Takeovers: c.takeovers.Load()}
}

// op is a context for one round trip: the caller's, bounded by the
// operation timeout.
func (c *Client) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, ms(c.cfg.OpTimeoutMS))
}

// failed records a call that Redis did not answer: the tier is down until
// a probe succeeds. A call that ended because its caller gave up says
// nothing about Redis.
func (c *Client) failed(ctx context.Context, err error) {
	if callerGone(ctx) != nil {
		return
	}
	c.errs.Add(1)
	if c.up.CompareAndSwap(true, false) {
		c.logf("redis: unreachable; serving from the local tiers until it answers", err)
	}
	if c.probing.CompareAndSwap(false, true) {
		go c.probe()
	}
}

// callerGone is ctx's error, or DeadlineExceeded once its deadline has
// passed: a network deadline taken from ctx can fire a moment before
// ctx itself reports it, and that is the caller's deadline, not Redis
// failing.
func callerGone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// probe pings Redis until it answers, then marks the tier up.
func (c *Client) probe() {
	defer c.probing.Store(false)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), ms(c.cfg.OpTimeoutMS))
		err := c.rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			c.up.Store(true)
			slog.Info("redis: answering again; the shared tier is back")
			return
		}
	}
}

// logf logs a failure at most once a minute (a dead server fails every
// call); never the URL.
func (c *Client) logf(msg string, err error) {
	now := time.Now().Unix()
	last := c.lastLogged.Load()
	if now-last < 60 || !c.lastLogged.CompareAndSwap(last, now) {
		return
	}
	slog.Warn(msg, "err", err)
}

// validKey accepts hex digests only (the service's keys).
func validKey(key string) bool {
	if len(key) < 16 || len(key) > 128 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil && len(key)%2 == 0
}

// lookup is what Get found.
type lookup int

const (
	found lookup = iota
	absent
	down
)

// Get returns key's value if Redis holds a sound one.
func (c *Client) Get(ctx context.Context, key string) ([]byte, bool) {
	v, l := c.get(ctx, key)
	return v, l == found
}

func (c *Client) get(ctx context.Context, key string) ([]byte, lookup) {
	if !c.up.Load() || !validKey(key) {
		return nil, down
	}
	octx, cancel := c.op(ctx)
	defer cancel()
	r, err := getScript.Run(octx, c.rdb, []string{valuePrefix + key}, c.cfg.MaxValueBytes+headerLen).Result()
	if errors.Is(err, redis.Nil) {
		c.misses.Add(1)
		return nil, absent
	}
	if err != nil {
		c.failed(ctx, err)
		return nil, down
	}
	s, ok := r.(string)
	if !ok { // -1: over the cap, or not a string
		c.rejected.Add(1)
		return nil, absent
	}
	v, ok := open(key, []byte(s))
	if !ok {
		c.rejected.Add(1)
		return nil, absent
	}
	c.hits.Add(1)
	return v, found
}

// Put stores value under key (not over MaxValueBytes); a failure only
// costs later hits.
func (c *Client) Put(ctx context.Context, key string, value []byte) {
	if !c.up.Load() || !validKey(key) || int64(len(value)) > c.cfg.MaxValueBytes {
		return
	}
	octx, cancel := c.op(ctx)
	defer cancel()
	if err := c.rdb.Set(octx, valuePrefix+key, seal(key, value), time.Duration(c.cfg.EntryTTLSeconds)*time.Second).Err(); err != nil {
		c.failed(ctx, err)
	}
}

// Do returns key's value from Redis when a replica has stored it (hit).
// Otherwise it runs fn under key's lease, so that across replicas one fn
// runs at a time per key, and stores the value fn returns (nil: nothing
// to share, such as a result that depends on the moment). A replica that
// finds the lease taken waits, as long as ctx allows, for the value or
// for the lease to end; a lease whose owner died runs out (LeaseMS) and
// the next waiter takes the key over. With Redis down fn runs at once,
// without a lease.
//
// fn's error is returned as is; ctx's when ctx ends while waiting.
func (c *Client) Do(ctx context.Context, key string, fn func(context.Context) ([]byte, error)) (value []byte, hit bool, err error) {
	local := func() ([]byte, bool, error) {
		_, err := fn(ctx)
		return nil, false, err
	}
	if !validKey(key) {
		return local()
	}
	for {
		v, l := c.get(ctx, key)
		switch l {
		case found:
			return v, true, nil
		case down:
			return local()
		}
		token, leader, ok := c.lease(ctx, key)
		if !ok {
			return local()
		}
		if leader {
			return c.lead(ctx, key, token, fn)
		}
		c.waits.Add(1)
		gone, err := c.wait(ctx, key)
		if err != nil {
			return nil, false, err
		}
		if gone {
			c.takeovers.Add(1)
		}
	}
}

// lease tries to take key's lease: its token and whether it is ours, or
// !ok when Redis did not answer.
func (c *Client) lease(ctx context.Context, key string) (token string, leader, ok bool) {
	var b [16]byte
	rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	octx, cancel := c.op(ctx)
	defer cancel()
	leader, err := c.rdb.SetNX(octx, leasePrefix+key, token, ms(c.cfg.LeaseMS)).Result()
	if err != nil {
		c.failed(ctx, err)
		return "", false, false
	}
	return token, leader, true
}

// lead runs fn holding key's lease, renewing it while fn works, stores
// its value and then releases the lease, so that waiters find the value
// before they find the lease gone.
func (c *Client) lead(ctx context.Context, key, token string, fn func(context.Context) ([]byte, error)) ([]byte, bool, error) {
	defer c.release(key, token)
	// The value may have been stored between the lookup and the lease.
	if v, l := c.get(ctx, key); l == found {
		return v, true, nil
	}
	c.leads.Add(1)
	stop := make(chan struct{})
	var renewing sync.WaitGroup
	renewing.Add(1)
	go func() {
		defer renewing.Done()
		c.renew(key, token, stop)
	}()
	// Deferred, so that a panicking fn (recovered by the caller) stops
	// renewing and releases the lease too.
	defer renewing.Wait()
	defer close(stop)
	v, err := fn(ctx)
	if err == nil && v != nil {
		// Stored even when the caller has gone: the work is done.
		c.Put(context.WithoutCancel(ctx), key, v)
	}
	return nil, false, err
}

// renew extends key's lease every third of LeaseMS until stop, while it
// is still token's. A lease lost meanwhile (a stall past LeaseMS) is not
// taken back: another replica computes the same value, which is only
// work twice.
func (c *Client) renew(key, token string, stop <-chan struct{}) {
	t := time.NewTicker(ms(c.cfg.LeaseMS) / 3)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-c.done:
			return
		case <-t.C:
		}
		if !c.up.Load() {
			continue
		}
		ctx, cancel := c.op(context.Background())
		n, err := renewScript.Run(ctx, c.rdb, []string{leasePrefix + key}, token, c.cfg.LeaseMS).Int()
		cancel()
		if err != nil {
			c.failed(context.Background(), err)
		} else if n == 0 {
			return
		}
	}
}

// release ends key's lease if it is still token's.
func (c *Client) release(key, token string) {
	if !c.up.Load() {
		return // it runs out by itself
	}
	ctx, cancel := c.op(context.Background())
	defer cancel()
	if err := releaseScript.Run(ctx, c.rdb, []string{leasePrefix + key}, token).Err(); err != nil {
		c.failed(context.Background(), err)
	}
}

// wait polls until key has a value, or its lease is gone (gone: true),
// or Redis is down (then the caller's next lookup runs the work locally);
// it returns ctx's error when ctx ends first.
func (c *Client) wait(ctx context.Context, key string) (gone bool, err error) {
	t := time.NewTicker(ms(c.cfg.PollMS))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-t.C:
		}
		octx, cancel := c.op(ctx)
		var value, lease *redis.IntCmd
		_, err := c.rdb.Pipelined(octx, func(p redis.Pipeliner) error {
			value = p.Exists(octx, valuePrefix+key)
			lease = p.Exists(octx, leasePrefix+key)
			return nil
		})
		cancel()
		if err != nil {
			if gone := callerGone(ctx); gone != nil {
				return false, gone
			}
			c.failed(ctx, err)
			return false, nil
		}
		if value.Val() > 0 {
			return false, nil
		}
		if lease.Val() == 0 {
			return true, nil
		}
	}
}
