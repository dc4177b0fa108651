package server

import (
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
	// is generous anyway in case that changes. Default 120 s.
	WriteTimeoutMS int64 `json:"write_timeout_ms"`
	// IdleTimeoutMS bounds waiting for the next request on a keep-alive
	// connection. Default 120 s.
	IdleTimeoutMS int64 `json:"idle_timeout_ms"`
	// RequestTimeoutMS is the deadline of the context handed to
	// Service.Execute: the whole budget for queueing, compiling and
	// running one request. Default 90 s.
	RequestTimeoutMS int64 `json:"request_timeout_ms"`
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
	}
}

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
	return l.Err()
}

// ReadTimeout is ReadTimeoutMS as a duration.
func (c Config) ReadTimeout() time.Duration { return ms(c.ReadTimeoutMS) }

// WriteTimeout is WriteTimeoutMS as a duration.
func (c Config) WriteTimeout() time.Duration { return ms(c.WriteTimeoutMS) }

// IdleTimeout is IdleTimeoutMS as a duration.
func (c Config) IdleTimeout() time.Duration { return ms(c.IdleTimeoutMS) }

// RequestTimeout is RequestTimeoutMS as a duration.
func (c Config) RequestTimeout() time.Duration { return ms(c.RequestTimeoutMS) }

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// withDefaults fills every zero field from DefaultConfig. (A negative
// field is the caller's mistake, which Validate reports.)
func (c Config) withDefaults() Config {
	return check.WithDefaults(c, DefaultConfig())
}
