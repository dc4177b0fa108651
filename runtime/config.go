package runtime

import (
	"fmt"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
)

// EngineKind selects how wazero executes guest code.
type EngineKind string

const (
	// EngineCompiler compiles guest code ahead of time to native code. It is
	// the default: much faster, and supported on amd64 and arm64.
	EngineCompiler EngineKind = "compiler"
	// EngineInterpreter interprets guest code: slow, but portable.
	EngineInterpreter EngineKind = "interpreter"
	// EngineAuto interprets a module's runs until the optimizing compiler,
	// started in the background on its first run, has compiled it; then
	// its runs are compiled code. A 2 MB Rocket module takes about 1 s to
	// compile and 0.15 s to load for the interpreter, while a run takes
	// milliseconds either way: one-shot runs want the interpreter,
	// repeated ones the compiler (docs/performance.md).
	EngineAuto EngineKind = "auto"
)

// Defaults of Config.
const (
	DefaultMemoryLimitBytes   int64 = 256 << 20
	DefaultTimeoutMS          int64 = 10_000
	DefaultStdoutLimitBytes   int64 = 1 << 20
	DefaultStderrLimitBytes   int64 = 1 << 20
	DefaultMaxCompiledModules int   = 16
	// Defaults of the byte budgets: the compiled modules of each
	// backend (about 14 Rocket modules compiled, 3 interpreted: memory
	// per node, docs/performance.md; more come back from wazero's
	// directory without compiling), and wazero's cache directory (about
	// 100 compiled Rocket modules).
	DefaultCompiledModulesBytes  int64 = 256 << 20
	DefaultCompilationCacheBytes int64 = 1 << 30
	DefaultMaxBackgroundCompiles int   = 1
)

// wasmPageSize is the unit wasm linear memory grows by.
const wasmPageSize = 64 << 10

// maxMemoryLimitBytes is the whole 32-bit address space: 65536 pages.
const maxMemoryLimitBytes = int64(65536) * wasmPageSize

// Config is the Engine's fixed configuration: plain data, its defaults in
// DefaultConfig, checked by Validate. New reads a zero field as the
// default, so Config{} is the same as DefaultConfig().
type Config struct {
	// MemoryLimitBytes caps a guest's linear memory (default 256 MiB). It is
	// rounded down to whole 64 KiB wasm pages; 64 KiB..4 GiB.
	MemoryLimitBytes int64 `json:"memory_limit_bytes"`
	// TimeoutMS bounds one run's wall time, from instantiation to exit
	// (default 10 s; 1 ms..1 h). Compilation is not counted.
	TimeoutMS int64 `json:"timeout_ms"`
	// StdoutLimitBytes caps the captured stdout (default 1 MiB; 1 B..1 GiB).
	// It also caps the total of all virtual-socket responses of a run.
	StdoutLimitBytes int64 `json:"stdout_limit_bytes"`
	// StderrLimitBytes caps the captured stderr (default 1 MiB; 1 B..1 GiB).
	StderrLimitBytes int64 `json:"stderr_limit_bytes"`
	// CompilationCacheDir, when set, keeps wazero's compiled code on disk
	// there, so that a restart does not recompile; empty keeps it in memory.
	CompilationCacheDir string `json:"compilation_cache_dir"`
	// Engine is EngineAuto (default), EngineCompiler or EngineInterpreter.
	Engine EngineKind `json:"engine"`
	// MaxCompiledModules bounds how many compiled modules the Engine keeps
	// ready in its LRU (default 16; 1..1024).
	MaxCompiledModules int `json:"max_compiled_modules"`
	// CompiledModulesBytes bounds the memory of the compiled modules kept
	// ready, per backend (the compiler's and, with EngineAuto, the
	// interpreter's; default 512 MiB; 16 MiB..1 TiB). A module is charged
	// what it holds, estimated from its size and its code's.
	CompiledModulesBytes int64 `json:"compiled_modules_bytes"`
	// CompilationCacheBytes bounds CompilationCacheDir (default 1 GiB;
	// 1 MiB..1 PiB); past it the least recently used files are removed.
	CompilationCacheBytes int64 `json:"compilation_cache_bytes"`
	// MaxBackgroundCompiles bounds the optimizing compiles EngineAuto
	// runs in the background at once (default 1; 1..64); a module whose
	// compile cannot start runs interpreted and tries again on its next
	// run.
	MaxBackgroundCompiles int `json:"max_background_compiles"`
}

// Timeout is TimeoutMS as a duration.
func (c Config) Timeout() time.Duration { return time.Duration(c.TimeoutMS) * time.Millisecond }

// DefaultConfig returns the Config with every default filled in.
func DefaultConfig() Config {
	return Config{
		MemoryLimitBytes:   DefaultMemoryLimitBytes,
		TimeoutMS:          DefaultTimeoutMS,
		StdoutLimitBytes:   DefaultStdoutLimitBytes,
		StderrLimitBytes:   DefaultStderrLimitBytes,
		Engine:             EngineAuto,
		MaxCompiledModules: DefaultMaxCompiledModules,

		CompiledModulesBytes:  DefaultCompiledModulesBytes,
		CompilationCacheBytes: DefaultCompilationCacheBytes,
		MaxBackgroundCompiles: DefaultMaxBackgroundCompiles,
	}
}

// Validate refuses values the engine cannot run with, naming each by its
// key and its allowed range.
func (c Config) Validate() error {
	var l check.List
	check.Range(&l, "memory_limit_bytes", c.MemoryLimitBytes, wasmPageSize, maxMemoryLimitBytes)
	check.Range(&l, "timeout_ms", c.TimeoutMS, 1, 3_600_000)
	check.Range(&l, "stdout_limit_bytes", c.StdoutLimitBytes, 1, 1<<30)
	check.Range(&l, "stderr_limit_bytes", c.StderrLimitBytes, 1, 1<<30)
	check.OneOf(&l, "engine", c.Engine, EngineAuto, EngineCompiler, EngineInterpreter)
	check.Range(&l, "max_compiled_modules", c.MaxCompiledModules, 1, 1024)
	check.Range(&l, "compiled_modules_bytes", c.CompiledModulesBytes, 16<<20, 1<<40)
	check.Range(&l, "compilation_cache_bytes", c.CompilationCacheBytes, 1<<20, 1<<50)
	check.Range(&l, "max_background_compiles", c.MaxBackgroundCompiles, 1, 64)
	return l.Err()
}

// withDefaults fills zero fields and validates the result.
func (c Config) withDefaults() (Config, error) {
	c = check.WithDefaults(c, DefaultConfig())
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("runtime: bad config: %w", err)
	}
	// Whole pages: memory grows by pages, so that is the cap it can reach.
	c.MemoryLimitBytes -= c.MemoryLimitBytes % wasmPageSize
	return c, nil
}

// Limits lowers the Config's limits for one job. A zero (or negative) field
// keeps the Config's value, and a field above the Config's value is clamped
// to it: a job can never raise a limit.
type Limits struct {
	MemoryLimitBytes int64
	Timeout          time.Duration
	StdoutLimitBytes int64
	StderrLimitBytes int64
}

// LimitCeilings are the largest limits a Config accepts (Validate's
// ranges), for whoever lets a job raise a limit up to a maximum of its
// own.
func LimitCeilings() Limits {
	return Limits{MemoryLimitBytes: maxMemoryLimitBytes, Timeout: time.Hour, StdoutLimitBytes: 1 << 30, StderrLimitBytes: 1 << 30}
}

// clamp returns the limits a job actually runs under.
func (c Config) clamp(l Limits) Limits {
	return Limits{
		MemoryLimitBytes: lower(c.MemoryLimitBytes, l.MemoryLimitBytes),
		Timeout:          lower(c.Timeout(), l.Timeout),
		StdoutLimitBytes: lower(c.StdoutLimitBytes, l.StdoutLimitBytes),
		StderrLimitBytes: lower(c.StderrLimitBytes, l.StderrLimitBytes),
	}
}

// lower returns want when it is set and below ceiling, else ceiling.
func lower[T int64 | time.Duration](ceiling, want T) T {
	if want > 0 && want < ceiling {
		return want
	}
	return ceiling
}
