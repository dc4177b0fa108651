package worker

import (
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
)

// Config configures the run workers: plain data, its defaults in
// DefaultConfig, checked by Validate.
type Config struct {
	// Enabled runs every module in run workers instead of in the
	// service's process (default true; false, for debugging, needs
	// front_door.uid 0 too; docs/security.md).
	Enabled bool `json:"enabled"`
	// Count is how many workers run (default 0: DefaultCount of
	// service.max_concurrent and the CPUs; 0..256). A worker runs one job
	// at a time.
	Count int `json:"count"`
	// MemoryBytes is each worker's cgroup memory limit (default 0:
	// sized from the runtime's budgets, see defaultMemoryBytes; else
	// 64 MiB..1 TiB).
	MemoryBytes int64 `json:"memory_bytes"`
	// HangGraceMS is how long past a run's timeout a worker may take to
	// answer (compiling a large module counts) before it is killed and
	// the run reported as timed out (default 60 s; 1 s..1 h).
	HangGraceMS int64 `json:"hang_grace_ms"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{Enabled: true, HangGraceMS: 60_000}
}

// DefaultCount is the number of workers when Count is 0: one per
// compile-and-run slot, but no more than two per CPU. A guest's run is
// CPU-bound (its clock is frozen and its I/O is in memory), so workers past
// the CPUs add no throughput, only memory and compiles: each worker compiles
// and keeps every module it runs, so a burst of N runs of a new module on N
// workers compiles it N times (64 workers for 64 slots on 2 cores held 7.6 GiB
// and took 40 s at p95 in the density benchmark). Twice the CPUs, not once,
// so that runs spinning to their timeout on every CPU still leave a worker
// for the others' short runs. Runs past the workers wait in the pool.
func DefaultCount(maxConcurrent, cpus int) int {
	if maxConcurrent < 1 {
		maxConcurrent = 1
	}
	return min(maxConcurrent, 2*max(cpus, 1))
}

// HangGrace is HangGraceMS as a duration.
func (c Config) HangGrace() time.Duration { return time.Duration(c.HangGraceMS) * time.Millisecond }

// Validate names each bad key and its range.
func (c Config) Validate() error {
	var l check.List
	check.Range(&l, "count", c.Count, 0, 256)
	check.RangeOrZero(&l, "memory_bytes", c.MemoryBytes, 64<<20, 1<<40)
	check.Range(&l, "hang_grace_ms", c.HangGraceMS, 1000, 3_600_000)
	return l.Err()
}
