package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

func digest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func bearerHeader(token string) []string {
	return []string{fiber.HeaderAuthorization, "Bearer " + token, fiber.HeaderContentType, fiber.MIMEApplicationJSON}
}

// Issue 14, item 8: with keys required, a request without a key or with
// an unknown one is 401; a known key names the client.
func TestAPIKeys(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{RequireAPIKey: true, APIKeys: []APIKey{{Name: "docs", TokenSHA256: digest("s3cret")}}})

	r := postJSON(t, app, okBody)
	p := assertProblem(t, r, fiber.StatusUnauthorized, StatusInvalidRequest, "")
	assert.Contains(t, p.Message, "API key is required")
	assert.Contains(t, r.header.Get(fiber.HeaderWWWAuthenticate), "Bearer")

	r = do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), bearerHeader("guess")...)
	assertProblem(t, r, fiber.StatusUnauthorized, StatusInvalidRequest, "")
	assert.Zero(t, svc.callCount())

	r = do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), bearerHeader("s3cret")...)
	require.Equal(t, fiber.StatusOK, r.code, "%s", r.body)
	assert.Equal(t, "key:docs", svc.lastCall(t).Client)

	assert.Equal(t, fiber.StatusOK, do(t, app, fiber.MethodGet, "/healthz", nil).code, "health needs no key")
}

// Keys are optional unless required, but an unknown key is never taken
// for no key.
func TestOptionalKeys(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{APIKeys: []APIKey{{Name: "docs", TokenSHA256: digest("s3cret")}}})
	assert.Equal(t, fiber.StatusOK, postJSON(t, app, okBody).code)
	assert.Equal(t, fiber.StatusUnauthorized, do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), bearerHeader("typo")...).code)
}

// A key over its rate is 429 with the Retry-After of its next request.
func TestKeyRateLimit(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{APIKeys: []APIKey{{Name: "docs", TokenSHA256: digest("k"), RatePerMinute: 6, Burst: 2}}})
	for range 2 {
		assert.Equal(t, fiber.StatusOK, do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), bearerHeader("k")...).code)
	}
	r := do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), bearerHeader("k")...)
	p := assertProblem(t, r, fiber.StatusTooManyRequests, StatusRateLimited, "")
	assert.Contains(t, p.Message, "6 requests per minute")
	assert.Equal(t, "10", r.header.Get(fiber.HeaderRetryAfter), "one request every 10 s")
	assert.Equal(t, 2, svc.callCount())
}

func TestBucketRefills(t *testing.T) {
	now := time.Unix(0, 0)
	b := bucket{perSecond: 1, size: 2, tokens: 2, last: now}
	assert.Zero(t, b.take(now))
	assert.Zero(t, b.take(now))
	assert.Equal(t, time.Second, b.take(now))
	now = now.Add(1500 * time.Millisecond)
	assert.Zero(t, b.take(now))
	assert.Equal(t, 500*time.Millisecond, b.take(now))
	now = now.Add(time.Hour)
	assert.Zero(t, b.take(now))
	assert.Zero(t, b.take(now))
	assert.Positive(t, b.take(now), "never more than the burst")
}

// blockingService holds every call until release is closed.
type blockingService struct {
	fakeService
	started chan struct{}
	release chan struct{}
}

func (b *blockingService) Execute(ctx context.Context, req sandbox.Request) (sandbox.Response, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return sandbox.Response{}, ctx.Err()
	}
	return okResponse(), nil
}

// A key with requests in progress at its limit gets 429 for one more.
func TestKeyConcurrencyLimit(t *testing.T) {
	svc := &blockingService{started: make(chan struct{}, 4), release: make(chan struct{})}
	app, _ := testApp(t, svc, Config{APIKeys: []APIKey{{Name: "docs", TokenSHA256: digest("k"), MaxConcurrent: 1}}})
	var wg sync.WaitGroup
	wg.Go(func() {
		assert.Equal(t, fiber.StatusOK, do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), bearerHeader("k")...).code)
	})
	<-svc.started
	r := do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), bearerHeader("k")...)
	p := assertProblem(t, r, fiber.StatusTooManyRequests, StatusRateLimited, "")
	assert.Contains(t, p.Message, "in progress")
	assert.Equal(t, "1", r.header.Get(fiber.HeaderRetryAfter))
	close(svc.release)
	wg.Wait()
	assert.Equal(t, fiber.StatusOK, do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), bearerHeader("k")...).code,
		"the finished request gave its place back")
}

// X-Forwarded-For names the client only when the peer is a trusted
// proxy, and then only up to the first hop that is not one.
func TestClientAddress(t *testing.T) {
	cs := newClients(Config{TrustedProxies: []string{"10.0.0.0/8", "192.0.2.7"}}, nil)
	for _, tc := range []struct {
		peer      string
		forwarded []string
		want      string
	}{
		{"203.0.113.5", nil, "203.0.113.5"},
		{"203.0.113.5", []string{"198.51.100.1"}, "203.0.113.5"},
		{"10.1.2.3", []string{"198.51.100.1"}, "198.51.100.1"},
		{"10.1.2.3", []string{"1.1.1.1, 198.51.100.1, 192.0.2.7"}, "198.51.100.1"},
		{"10.1.2.3", []string{"1.1.1.1", "198.51.100.1"}, "198.51.100.1"},
		{"10.1.2.3", []string{"garbage, 10.9.9.9"}, "10.9.9.9"},
		{"10.1.2.3", nil, "10.1.2.3"},
		{"::ffff:203.0.113.5", nil, "203.0.113.5"},
	} {
		assert.Equal(t, tc.want, cs.address(net.ParseIP(tc.peer), tc.forwarded), "%s %v", tc.peer, tc.forwarded)
	}
}

// Without a key the client is the remote address, for the service's fair
// sharing of slots.
func TestClientWithoutKeyIsTheAddress(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	require.Equal(t, fiber.StatusOK, postJSON(t, app, okBody).code)
	assert.Equal(t, "addr:0.0.0.0", svc.lastCall(t).Client, "app.Test's peer")
}

func (b *blockingService) ExecuteEncoded(ctx context.Context, req sandbox.Request) (sandbox.Encoded, error) {
	return encoded(b.Execute(ctx, req))
}
