package worker

import (
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
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
	// CompiledModulesBytes is each worker's budget for the compiled
	// modules it keeps, per backend (the compiler's and auto's
	// interpreter's), least recently used out first; in workers it
	// takes the place of runtime.compiled_modules_bytes, which bounds
	// the one engine of an in-process service (default
	// DefaultCompiledModulesBytes; 16 MiB..1 TiB). The module bytes a
	// worker keeps for them are bounded by it too.
	CompiledModulesBytes int64 `json:"compiled_modules_bytes"`
	// CopiesPerModule is how many workers at most compile and keep the
	// same module (default 0: half the workers, rounded up — the CPUs
	// with DefaultCount; 0..256). Runs of a module go to a worker that
	// holds it; one more worker compiles it only while fewer hold it,
	// or after a run waited AffinityWaitMS for a busy holder. So a
	// node keeps about this many copies of each module, not one per
	// worker (docs/performance.md, "Memory per node").
	CopiesPerModule int `json:"copies_per_module"`
	// AffinityWaitMS is how long a run waits for a busy worker that
	// holds its module, when CopiesPerModule workers hold it already,
	// before any idle worker takes it (default 1 s; 1 ms..1 min).
	AffinityWaitMS int64 `json:"affinity_wait_ms"`
}

// DefaultCompiledModulesBytes is a worker's default budget for compiled
// modules, per backend: one mid-size Rocket app interpreted (4.4 MB of
// module, 2.7 MB of it code: charged 100 MB) while the compiler compiles
// it, or four to eight compiled (26 MB charged for the same app).
const DefaultCompiledModulesBytes int64 = 128 << 20

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{Enabled: true, HangGraceMS: 60_000, CompiledModulesBytes: DefaultCompiledModulesBytes, AffinityWaitMS: 1000}
}

// Copies is CopiesPerModule for count workers, its default applied.
func (c Config) Copies(count int) int {
	if c.CopiesPerModule > 0 {
		return min(c.CopiesPerModule, max(count, 1))
	}
	return max((count+1)/2, 1)
}

// AffinityWait is AffinityWaitMS as a duration.
func (c Config) AffinityWait() time.Duration {
	return time.Duration(c.AffinityWaitMS) * time.Millisecond
}

// engine is the engine configuration a worker of c runs: rt with the
// worker's budget for compiled modules.
func (c Config) engine(rt wasmrt.Config) wasmrt.Config {
	if c.CompiledModulesBytes > 0 {
		rt.CompiledModulesBytes = c.CompiledModulesBytes
	}
	return rt
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
	check.Range(&l, "compiled_modules_bytes", c.CompiledModulesBytes, 16<<20, 1<<40)
	check.Range(&l, "copies_per_module", c.CopiesPerModule, 0, 256)
	check.Range(&l, "affinity_wait_ms", c.AffinityWaitMS, 1, 60_000)
	return l.Err()
}
