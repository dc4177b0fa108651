package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// Who sent a request decides two things: whether an API key lets it in
// and within which limits (429 beyond them), and which client it counts
// for when the service shares its slots fairly (sandbox.Request.Client):
// the key's name, or else the remote address, read through
// X-Forwarded-For only when the connection comes from a trusted proxy.

// clientLocal is the request's client name in the context's locals.
const clientLocal = "server.client"

// keyState is one API key and what it is using.
type keyState struct {
	APIKey
	mu       sync.Mutex
	inflight int
	bucket   bucket
}

// clients knows the API keys and the trusted proxies.
type clients struct {
	required bool
	byDigest map[string]*keyState
	proxies  []netip.Prefix
	now      func() time.Time
}

func newClients(cfg Config, now func() time.Time) *clients {
	if now == nil {
		now = time.Now
	}
	cs := &clients{required: cfg.RequireAPIKey, byDigest: map[string]*keyState{}, now: now}
	for _, k := range cfg.APIKeys {
		ks := &keyState{APIKey: k}
		if k.RatePerMinute > 0 {
			burst := k.Burst
			if burst == 0 {
				burst = k.RatePerMinute
			}
			ks.bucket = bucket{perSecond: float64(k.RatePerMinute) / 60, size: float64(burst), tokens: float64(burst), last: now()}
		}
		cs.byDigest[k.TokenSHA256] = ks
	}
	for _, p := range cfg.TrustedProxies {
		if prefix, err := parsePrefix(p); err == nil {
			cs.proxies = append(cs.proxies, prefix)
		}
	}
	return cs
}

// parsePrefix reads an IP (a single address) or a CIDR.
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither an IP address nor a CIDR", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

func (cs *clients) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range cs.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// address is the client's address: the peer, or, when the peer is a
// trusted proxy, the nearest address in X-Forwarded-For that is not
// itself a trusted proxy (the rightmost ones were added by proxies the
// operator runs; anything left of the first untrusted one the client
// wrote itself).
func (cs *clients) address(peer net.IP, forwarded []string) string {
	a, ok := netip.AddrFromSlice(peer)
	if !ok {
		return peer.String()
	}
	a = a.Unmap()
	if !cs.trusted(a) {
		return a.String()
	}
	var hops []string
	for _, v := range forwarded {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a hop we cannot read: trust nothing beyond it
		}
		if h = h.Unmap(); !cs.trusted(h) {
			return h.String()
		}
		a = h
	}
	return a.String()
}

// identify is the middleware of the API routes: it finds the request's
// API key (refusing an unknown one, and a missing one when keys are
// required), applies the key's limits, and names the client.
func (s *server) identify(c *fiber.Ctx) error {
	cs := s.clients
	token, hasToken := bearer(c.Get(fiber.HeaderAuthorization))
	if !hasToken {
		if cs.required {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="rocket-sandbox"`)
			return sandbox.Errorf(sandbox.CodeUnauthorized, "", "an API key is required: send Authorization: Bearer <key>")
		}
		c.Locals(clientLocal, "addr:"+cs.address(c.Context().RemoteIP(), forwardedFor(c)))
		return c.Next()
	}
	sum := sha256.Sum256([]byte(token))
	k, ok := cs.byDigest[hex.EncodeToString(sum[:])]
	if !ok {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="rocket-sandbox", error="invalid_token"`)
		return sandbox.Errorf(sandbox.CodeUnauthorized, "", "the API key is not known")
	}
	release, err := k.admit(cs.now())
	if err != nil {
		return err
	}
	slot := &keySlot{release: release}
	c.Locals(keySlotLocal, slot)
	c.Locals(clientLocal, "key:"+k.Name)
	err = c.Next()
	if !slot.kept {
		release()
	}
	return err
}

// keySlotLocal is, in the context's locals, the place the request holds
// in its key's concurrency limit.
const keySlotLocal = "server.keyslot"

// keySlot is a request's place in its key's concurrency limit.
type keySlot struct {
	release func()
	kept    bool
}

// keepKeySlot keeps the request's place in its key's limit after the
// handler returns (a stream goes on being written), and returns the func
// that gives it back; without a key it does nothing.
func keepKeySlot(c *fiber.Ctx) (release func()) {
	slot, ok := c.Locals(keySlotLocal).(*keySlot)
	if !ok {
		return func() {}
	}
	slot.kept = true
	var once sync.Once
	return func() { once.Do(slot.release) }
}

// clientOf is the name identify gave the request's client.
func clientOf(c *fiber.Ctx) string {
	name, _ := c.Locals(clientLocal).(string)
	return name
}

// bearer reads "Bearer TOKEN" (the scheme in any case).
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func forwardedFor(c *fiber.Ctx) []string {
	var out []string
	c.Request().Header.VisitAll(func(k, v []byte) {
		if strings.EqualFold(string(k), fiber.HeaderXForwardedFor) {
			out = append(out, string(v))
		}
	})
	return out
}

// admit takes one of the key's requests in progress and one of its rate,
// or refuses with when to retry; release gives the first back.
func (k *keyState) admit(now time.Time) (release func(), err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.MaxConcurrent > 0 && k.inflight >= k.MaxConcurrent {
		return nil, &sandbox.Error{Code: sandbox.CodeRateLimited, RetryAfter: time.Second,
			Message: fmt.Sprintf("key %q has %d requests in progress, its limit", k.Name, k.MaxConcurrent)}
	}
	if k.RatePerMinute > 0 {
		if wait := k.bucket.take(now); wait > 0 {
			return nil, &sandbox.Error{Code: sandbox.CodeRateLimited, RetryAfter: wait,
				Message: fmt.Sprintf("key %q is over its %d requests per minute", k.Name, k.RatePerMinute)}
		}
	}
	k.inflight++
	var once sync.Once
	return func() {
		once.Do(func() {
			k.mu.Lock()
			k.inflight--
			k.mu.Unlock()
		})
	}, nil
}

// bucket is a token bucket: size tokens at most, refilled at perSecond.
type bucket struct {
	perSecond float64
	size      float64
	tokens    float64
	last      time.Time
}

// take takes a token at now, or says how long until one is there.
func (b *bucket) take(now time.Time) time.Duration {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.size, b.tokens+dt*b.perSecond)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / b.perSecond * float64(time.Second))
}
