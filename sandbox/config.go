package sandbox

import (
	goruntime "runtime"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// Config is the service's request policy: plain data, its defaults in
// DefaultConfig, checked by Validate. NewService reads a zero field as
// the default.
type Config struct {
	// MaxStubBytes caps the stub (default 64 KiB; 1 B..16 MiB).
	MaxStubBytes int `json:"max_stub_bytes"`
	// CompileLimits are the limits of every compile; a zero field takes
	// the jail's default limit, and none may exceed the jail's maximum.
	CompileLimits jail.Limits `json:"compile_limits"`
	// MaxConcurrent bounds jobs (compile + run) in progress at once
	// (default: the number of CPUs; 1..1024). MaxQueue bounds how many
	// more may wait (0, the default, means 4 × MaxConcurrent; at most
	// 65536), each for at most QueueWaitMS (default 30 s; 1 ms..10 min);
	// beyond either the request is refused as overloaded.
	MaxConcurrent int   `json:"max_concurrent"`
	MaxQueue      int   `json:"max_queue"`
	QueueWaitMS   int64 `json:"queue_wait_ms"`
}

// DefaultMaxStubBytes is the default stub cap.
const DefaultMaxStubBytes = 64 << 10

// maxConcurrent bounds MaxConcurrent (and its default on a larger host).
const maxConcurrent = 1024

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		MaxStubBytes:  DefaultMaxStubBytes,
		MaxConcurrent: min(goruntime.NumCPU(), maxConcurrent),
		QueueWaitMS:   30_000,
	}
}

// Validate refuses values the service cannot work with, naming each by
// its key and its allowed range.
func (c Config) Validate() error {
	var l check.List
	check.Range(&l, "max_stub_bytes", c.MaxStubBytes, 1, 16<<20)
	l.Nest("compile_limits", c.CompileLimits.Validate(jail.LimitCeilings()))
	check.Range(&l, "max_concurrent", c.MaxConcurrent, 1, maxConcurrent)
	check.Range(&l, "max_queue", c.MaxQueue, 0, 65536)
	check.Range(&l, "queue_wait_ms", c.QueueWaitMS, 1, 600_000)
	return l.Err()
}

// QueueWait is QueueWaitMS as a duration.
func (c Config) QueueWait() time.Duration { return time.Duration(c.QueueWaitMS) * time.Millisecond }

func (c Config) withDefaults() Config {
	c = check.WithDefaults(c, DefaultConfig())
	if c.MaxQueue == 0 {
		c.MaxQueue = 4 * c.MaxConcurrent
	}
	return c
}
