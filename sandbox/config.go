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
	// FormatLimits are the limits of every format (rustfmt, in the
	// compile jail); a zero field takes the jail's default limit, and
	// none may exceed the jail's maximum. Default: 10 s of wall and CPU
	// time, 512 MiB, 1 MiB of output (a formatted 64 KiB stub is about
	// as long as the stub).
	FormatLimits jail.Limits `json:"format_limits"`
	// MaxConcurrent bounds jobs (compile + run) in progress at once
	// (default: the number of CPUs; 1..1024). A job that finds every slot
	// taken waits if it can expect a slot within QueueWaitMS (default
	// 30 s; 1 ms..10 min), and at most that long; the expected wait is
	// the jobs ahead of it times the recent slot time per job, which
	// starts at JobEstimateMS (default 1 s; 1 ms..10 min). Beyond it the
	// request is refused as overloaded. MaxQueue, if not 0 (the default),
	// also bounds how many may wait (at most 65536).
	MaxConcurrent int   `json:"max_concurrent"`
	MaxQueue      int   `json:"max_queue"`
	QueueWaitMS   int64 `json:"queue_wait_ms"`
	JobEstimateMS int64 `json:"job_estimate_ms"`
	// MaxQueuedBytes bounds the bytes of the requests (stub and args)
	// that wait for a preparation or a slot (default 64 MiB; 64 KiB..1 TiB).
	MaxQueuedBytes int64 `json:"max_queued_bytes"`
	// MaxRequestLimits are the most a request's `limits` may ask for,
	// field by field; a zero field is the default limit (the request may
	// lower it, not raise it). The defaults are the engine's and the
	// compile's (runtime.*, compile_limits); see Limits.
	MaxRequestLimits Limits `json:"max_request_limits"`
	// MaxFiles caps a project's files (default 64; 1..4096), and
	// MaxFilesBytes their contents together (default 1 MiB; 1 B..64 MiB).
	MaxFiles      int   `json:"max_files"`
	MaxFilesBytes int64 `json:"max_files_bytes"`
	// ScratchBytes caps what a run of a project may write (new files in
	// its in-memory tree; default 4 MiB; 0..256 MiB).
	ScratchBytes int64 `json:"scratch_bytes"`
	// MaxPreparing bounds the harness preparations that run at once,
	// before a request waits for a slot (default: the number of CPUs;
	// 1..1024).
	MaxPreparing int `json:"max_preparing"`
}

// DefaultMaxStubBytes is the default stub cap.
const DefaultMaxStubBytes = 64 << 10

// maxConcurrent bounds MaxConcurrent (and its default on a larger host).
const maxConcurrent = 1024

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		MaxStubBytes:   DefaultMaxStubBytes,
		MaxFiles:       64,
		MaxFilesBytes:  1 << 20,
		ScratchBytes:   4 << 20,
		FormatLimits:   jail.Limits{WallTimeMS: 10_000, CPUTimeMS: 10_000, MemoryBytes: 512 << 20, OutputBytes: 1 << 20},
		MaxConcurrent:  min(goruntime.NumCPU(), maxConcurrent),
		QueueWaitMS:    30_000,
		JobEstimateMS:  1_000,
		MaxQueuedBytes: 64 << 20,
		MaxPreparing:   min(goruntime.NumCPU(), maxConcurrent),
	}
}

// Validate refuses values the service cannot work with, naming each by
// its key and its allowed range.
func (c Config) Validate() error {
	var l check.List
	check.Range(&l, "max_stub_bytes", c.MaxStubBytes, 1, 16<<20)
	l.Nest("compile_limits", c.CompileLimits.Validate(jail.LimitCeilings()))
	l.Nest("format_limits", c.FormatLimits.Validate(jail.LimitCeilings()))
	check.Range(&l, "max_concurrent", c.MaxConcurrent, 1, maxConcurrent)
	check.Range(&l, "max_queue", c.MaxQueue, 0, 65536)
	check.Range(&l, "queue_wait_ms", c.QueueWaitMS, 1, 600_000)
	check.Range(&l, "job_estimate_ms", c.JobEstimateMS, 1, 600_000)
	check.Range(&l, "max_queued_bytes", c.MaxQueuedBytes, 64<<10, 1<<40)
	check.Range(&l, "max_preparing", c.MaxPreparing, 1, maxConcurrent)
	l.Nest("max_request_limits", c.MaxRequestLimits.validateMax())
	check.Range(&l, "max_files", c.MaxFiles, 1, 4096)
	check.Range(&l, "max_files_bytes", c.MaxFilesBytes, 1, 64<<20)
	check.Range(&l, "scratch_bytes", c.ScratchBytes, 0, 256<<20)
	return l.Err()
}

// QueueWait is QueueWaitMS as a duration.
func (c Config) QueueWait() time.Duration { return time.Duration(c.QueueWaitMS) * time.Millisecond }

// JobEstimate is JobEstimateMS as a duration.
func (c Config) JobEstimate() time.Duration { return time.Duration(c.JobEstimateMS) * time.Millisecond }

func (c Config) withDefaults() Config {
	return check.WithDefaults(c, DefaultConfig())
}
