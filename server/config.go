package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
)

// Config holds the HTTP adapter's limits and timeouts: plain data, its
// defaults in DefaultConfig, checked by Validate. New reads a zero field
// as the default, so Config{} is a usable configuration.
type Config struct {
	// MaxBodyBytes caps a request body of any route (Fiber's BodyLimit);
	// larger bodies are refused with 413 before a handler runs.
	// Default 1 MiB; 1 B..1 GiB.
	MaxBodyBytes int `json:"max_body_bytes"`
	// MaxHeaderBytes caps the request line and headers together (fasthttp's
	// ReadBufferSize), which bounds the run route's query string; more is
	// refused with 431. Default 8 KiB; 1 KiB..1 MiB.
	MaxHeaderBytes int `json:"max_header_bytes"`
	// ReadTimeoutMS bounds reading one whole request, body included.
	// Default 30 s.
	ReadTimeoutMS int64 `json:"read_timeout_ms"`
	// WriteTimeoutMS bounds writing a response. fasthttp starts it when
	// the handler returns, so it does not cut short a compile and run; it
	// is generous anyway in case that changes. A stream of events gives
	// each of its writes this long instead. Default 120 s.
	WriteTimeoutMS int64 `json:"write_timeout_ms"`
	// StreamHeartbeatMS is how long a stream of events (the streaming
	// route) may go without a write before it sends a comment line, so
	// that proxies keep it open and a client that has gone is found out
	// (the write fails) and its share of the work canceled. Default 5 s;
	// 10 ms..10 min.
	StreamHeartbeatMS int64 `json:"stream_heartbeat_ms"`
	// IdleTimeoutMS bounds waiting for the next request on a keep-alive
	// connection. Default 120 s.
	IdleTimeoutMS int64 `json:"idle_timeout_ms"`
	// RequestTimeoutMS is the deadline of the context handed to
	// Service.Execute: the whole budget for queueing, compiling and
	// running one request. Default 90 s.
	RequestTimeoutMS int64 `json:"request_timeout_ms"`
	// MaxResponseBytesInFlight bounds the bytes of results being written
	// to clients at once: a slow reader holds its response until it has
	// read it or the write timeout passes, and a result beyond the bound
	// is answered 503 instead of held. Default 256 MiB; 1 MiB..1 TiB.
	MaxResponseBytesInFlight int64 `json:"max_response_bytes_in_flight"`
	// RecallBytes bounds the recall index: the exact bytes of requests
	// answered from or into the memo, each with its result key, so that
	// an exact repeat is answered from the memo without being parsed
	// again (recall.go); the oldest entries make room, and a request
	// over a 64th of it is not indexed. Each entry is charged its
	// request's bytes and 256 more. Default 8 MiB; 64 KiB..1 GiB.
	RecallBytes int `json:"recall_bytes"`
	// LogMemoHits logs a memo hit's request line at info level like every
	// other request's; by default it is at debug (a hit did no work, and
	// the metrics count it). Default false.
	LogMemoHits bool `json:"log_memo_hits"`

	// AllowedHosts are the Host header values served, each "host:port",
	// or "host" for any port; anything else is refused with 421, which
	// stops DNS rebinding. Empty (the default): the loopback names
	// localhost, 127.0.0.1 and [::1]; the configuration loader fills in
	// the listen address and those names on its port (docs/security.md).
	// "*" serves any Host, for a proxy that checks it.
	AllowedHosts []string `json:"allowed_hosts"`
	// AllowedOrigins are the web origins ("https://docs.example.org")
	// whose pages may call the API: they get CORS headers, their
	// preflights are answered, and they may POST. A cross-site request
	// from any other origin is refused with 403. Default: none.
	AllowedOrigins []string `json:"allowed_origins"`
	// TrustedProxies are the addresses (IPs or CIDRs) whose
	// X-Forwarded-For is believed when naming the client; from anyone
	// else it is ignored. Default: none.
	TrustedProxies []string `json:"trusted_proxies"`
	// RequireAPIKey refuses API requests without a known key (401).
	// Without it, a request may come without a key, but never with an
	// unknown one.
	RequireAPIKey bool `json:"require_api_key"`
	// APIKeys are the clients known by a bearer token, each with its
	// own limits.
	APIKeys []APIKey `json:"api_keys"`

	// GuideDir is the directory of Markdown chapters served, runnable,
	// at /guide/ (an mdBook-style book: SUMMARY.md's order, else every
	// .md but README.md by name). Relative to the working directory.
	// Default ../shared/rocket-guide, the four chapters of Rocket's guide
	// next to a clone (`make run` starts in the clone). A directory that
	// cannot be read leaves /guide/ saying so; the rest is served.
	GuideDir string `json:"guide_dir"`
}

// APIKey is one client known by a bearer token (Authorization: Bearer
// TOKEN). The configuration holds the token's SHA-256, not the token.
type APIKey struct {
	// Name names the client in logs and in the fair sharing of slots.
	Name string `json:"name"`
	// TokenSHA256 is the hex SHA-256 of the token
	// (printf %s "$TOKEN" | sha256sum).
	TokenSHA256 string `json:"token_sha256"`
	// MaxConcurrent bounds the key's requests in progress at once (0: no
	// bound of its own); beyond it, 429.
	MaxConcurrent int `json:"max_concurrent"`
	// RatePerMinute bounds the key's API requests per minute (0: none),
	// with bursts of up to Burst (0: a minute's worth); beyond it, 429
	// with the Retry-After of the next free request.
	RatePerMinute int `json:"rate_per_minute"`
	Burst         int `json:"burst"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:     1 << 20,
		MaxHeaderBytes:   8 << 10,
		ReadTimeoutMS:    30_000,
		WriteTimeoutMS:   120_000,
		IdleTimeoutMS:    120_000,
		RequestTimeoutMS: 90_000,

		StreamHeartbeatMS: 5_000,

		MaxResponseBytesInFlight: 256 << 20,
		RecallBytes:              8 << 20,

		GuideDir: DefaultGuideDir,
	}
}

// DefaultGuideDir is where the guide is read from unless guide_dir says
// otherwise: Rocket's guide chapters beside the project's clone
// (docs/design.md, "The guide", says why it is not copied in).
const DefaultGuideDir = "../shared/rocket-guide"

// maxTimeoutMS bounds every timeout: an hour.
const maxTimeoutMS = 3_600_000

// Validate refuses values the adapter cannot serve with, naming each by
// its key and its allowed range. Every timeout is 1 ms..1 h.
func (c Config) Validate() error {
	var l check.List
	check.Range(&l, "max_body_bytes", c.MaxBodyBytes, 1, 1<<30)
	check.Range(&l, "max_header_bytes", c.MaxHeaderBytes, 1<<10, 1<<20)
	check.Range(&l, "read_timeout_ms", c.ReadTimeoutMS, 1, maxTimeoutMS)
	check.Range(&l, "write_timeout_ms", c.WriteTimeoutMS, 1, maxTimeoutMS)
	check.Range(&l, "idle_timeout_ms", c.IdleTimeoutMS, 1, maxTimeoutMS)
	check.Range(&l, "request_timeout_ms", c.RequestTimeoutMS, 1, maxTimeoutMS)
	check.Range(&l, "stream_heartbeat_ms", c.StreamHeartbeatMS, 10, 600_000)
	check.Range(&l, "max_response_bytes_in_flight", c.MaxResponseBytesInFlight, 1<<20, 1<<40)
	check.Range(&l, "recall_bytes", c.RecallBytes, 64<<10, 1<<30)
	for i, h := range c.AllowedHosts {
		if _, err := parseHostPattern(h); err != nil {
			l.Add(fmt.Sprintf("allowed_hosts[%d]", i), "%v", err)
		}
	}
	for i, o := range c.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			l.Add(fmt.Sprintf("allowed_origins[%d]", i), "%v", err)
		}
	}
	for i, p := range c.TrustedProxies {
		if _, err := parsePrefix(p); err != nil {
			l.Add(fmt.Sprintf("trusted_proxies[%d]", i), "%v", err)
		}
	}
	names, tokens := map[string]bool{}, map[string]bool{}
	for i, k := range c.APIKeys {
		key := fmt.Sprintf("api_keys[%d]", i)
		switch {
		case k.Name == "":
			l.Add(key+".name", "must not be empty")
		case names[k.Name]:
			l.Add(key+".name", "%q names two keys", k.Name)
		}
		names[k.Name] = true
		if b, err := hex.DecodeString(k.TokenSHA256); err != nil || len(b) != sha256.Size || strings.ToLower(k.TokenSHA256) != k.TokenSHA256 {
			l.Add(key+".token_sha256", "must be 64 lower-case hex digits (the token's SHA-256)")
		} else if tokens[k.TokenSHA256] {
			l.Add(key+".token_sha256", "is another key's token")
		}
		tokens[k.TokenSHA256] = true
		check.Range(&l, key+".max_concurrent", k.MaxConcurrent, 0, 1<<20)
		check.Range(&l, key+".rate_per_minute", k.RatePerMinute, 0, 1<<20)
		check.Range(&l, key+".burst", k.Burst, 0, 1<<20)
	}
	if c.RequireAPIKey && len(c.APIKeys) == 0 {
		l.Add("require_api_key", "needs at least one of api_keys")
	}
	return l.Err()
}

// ReadTimeout is ReadTimeoutMS as a duration.
func (c Config) ReadTimeout() time.Duration { return ms(c.ReadTimeoutMS) }

// WriteTimeout is WriteTimeoutMS as a duration.
func (c Config) WriteTimeout() time.Duration { return ms(c.WriteTimeoutMS) }

// IdleTimeout is IdleTimeoutMS as a duration.
func (c Config) IdleTimeout() time.Duration { return ms(c.IdleTimeoutMS) }

// StreamHeartbeat is StreamHeartbeatMS as a duration.
func (c Config) StreamHeartbeat() time.Duration { return ms(c.StreamHeartbeatMS) }

// RequestTimeout is RequestTimeoutMS as a duration.
func (c Config) RequestTimeout() time.Duration { return ms(c.RequestTimeoutMS) }

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// withDefaults fills every zero field from DefaultConfig. (A negative
// field is the caller's mistake, which Validate reports.)
func (c Config) withDefaults() Config {
	return check.WithDefaults(c, DefaultConfig())
}
