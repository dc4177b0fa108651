package server

import "time"

// Config holds the HTTP adapter's limits and timeouts. A zero field means
// the default from DefaultConfig, so Config{} is a usable configuration.
type Config struct {
	// MaxBodyBytes caps a request body of any route (Fiber's BodyLimit);
	// larger bodies are refused with 413 before a handler runs.
	// Default 1 MiB.
	MaxBodyBytes int
	// MaxHeaderBytes caps the request line and headers together (fasthttp's
	// ReadBufferSize), which bounds the run route's query string; more is
	// refused with 431. Default 8 KiB.
	MaxHeaderBytes int
	// ReadTimeout bounds reading one whole request, body included.
	// Default 30 s.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response. fasthttp starts it when the
	// handler returns, so it does not cut short a compile and run; it is
	// generous anyway in case that changes. Default 120 s.
	WriteTimeout time.Duration
	// IdleTimeout bounds waiting for the next request on a keep-alive
	// connection. Default 120 s.
	IdleTimeout time.Duration
	// RequestTimeout is the deadline of the context handed to
	// Service.Execute: the whole budget for queueing, compiling and
	// running one request. Default 90 s.
	RequestTimeout time.Duration
}

// DefaultConfig returns the defaults every zero Config field takes.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:   1 << 20,
		MaxHeaderBytes: 8 << 10,
		ReadTimeout:    30 * time.Second,
		WriteTimeout:   120 * time.Second,
		IdleTimeout:    120 * time.Second,
		RequestTimeout: 90 * time.Second,
	}
}

// withDefaults fills every zero or negative field from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = d.RequestTimeout
	}
	return c
}
