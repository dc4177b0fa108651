package runtime

import (
	"fmt"
	"time"
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

// Defaults for the zero fields of Config.
const (
	DefaultMemoryLimitBytes   int64         = 256 << 20
	DefaultTimeout            time.Duration = 10 * time.Second
	DefaultStdoutLimitBytes   int64         = 1 << 20
	DefaultStderrLimitBytes   int64         = 1 << 20
	DefaultMaxCompiledModules int           = 16
)

// wasmPageSize is the unit wasm linear memory grows by.
const wasmPageSize = 64 << 10

// maxMemoryLimitBytes is the whole 32-bit address space: 65536 pages.
const maxMemoryLimitBytes = int64(65536) * wasmPageSize

// Config is the Engine's fixed configuration. It is plain data: a zero field
// takes the documented default, so Config{} is the same as DefaultConfig().
// Negative values are rejected by New.
type Config struct {
	// MemoryLimitBytes caps a guest's linear memory (default 256 MiB). It is
	// rounded down to whole 64 KiB wasm pages and is at most 4 GiB.
	MemoryLimitBytes int64 `json:"memory_limit_bytes"`
	// Timeout bounds one run's wall time, from instantiation to exit
	// (default 10 s). Compilation is not counted.
	Timeout time.Duration `json:"timeout"`
	// StdoutLimitBytes caps the captured stdout (default 1 MiB). It also caps
	// the total of all virtual-socket responses of a run.
	StdoutLimitBytes int64 `json:"stdout_limit_bytes"`
	// StderrLimitBytes caps the captured stderr (default 1 MiB).
	StderrLimitBytes int64 `json:"stderr_limit_bytes"`
	// CompilationCacheDir, when set, keeps wazero's compiled code on disk
	// there, so that a restart does not recompile; empty keeps it in memory.
	CompilationCacheDir string `json:"compilation_cache_dir"`
	// Engine is EngineAuto (default), EngineCompiler or EngineInterpreter.
	Engine EngineKind `json:"engine"`
	// MaxCompiledModules bounds how many compiled modules the Engine keeps
	// ready in its LRU (default 16).
	MaxCompiledModules int `json:"max_compiled_modules"`
}

// DefaultConfig returns the Config with every default filled in.
func DefaultConfig() Config {
	return Config{
		MemoryLimitBytes:   DefaultMemoryLimitBytes,
		Timeout:            DefaultTimeout,
		StdoutLimitBytes:   DefaultStdoutLimitBytes,
		StderrLimitBytes:   DefaultStderrLimitBytes,
		Engine:             EngineAuto,
		MaxCompiledModules: DefaultMaxCompiledModules,
	}
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.MemoryLimitBytes == 0 {
		c.MemoryLimitBytes = d.MemoryLimitBytes
	}
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.StdoutLimitBytes == 0 {
		c.StdoutLimitBytes = d.StdoutLimitBytes
	}
	if c.StderrLimitBytes == 0 {
		c.StderrLimitBytes = d.StderrLimitBytes
	}
	if c.Engine == "" {
		c.Engine = d.Engine
	}
	if c.MaxCompiledModules == 0 {
		c.MaxCompiledModules = d.MaxCompiledModules
	}

	switch {
	case c.MemoryLimitBytes < wasmPageSize || c.MemoryLimitBytes > maxMemoryLimitBytes:
		return c, fmt.Errorf("runtime: MemoryLimitBytes %d is outside [%d, %d]", c.MemoryLimitBytes, wasmPageSize, maxMemoryLimitBytes)
	case c.Timeout < 0:
		return c, fmt.Errorf("runtime: Timeout %v is negative", c.Timeout)
	case c.StdoutLimitBytes < 0:
		return c, fmt.Errorf("runtime: StdoutLimitBytes %d is negative", c.StdoutLimitBytes)
	case c.StderrLimitBytes < 0:
		return c, fmt.Errorf("runtime: StderrLimitBytes %d is negative", c.StderrLimitBytes)
	case c.MaxCompiledModules < 0:
		return c, fmt.Errorf("runtime: MaxCompiledModules %d is negative", c.MaxCompiledModules)
	case c.Engine != EngineCompiler && c.Engine != EngineInterpreter && c.Engine != EngineAuto:
		return c, fmt.Errorf("runtime: unknown Engine %q (want %q, %q or %q)", c.Engine, EngineAuto, EngineCompiler, EngineInterpreter)
	}
	// Whole pages, so that the byte cap and wazero's page cap agree.
	c.MemoryLimitBytes -= c.MemoryLimitBytes % wasmPageSize
	return c, nil
}

// memoryLimitPages is the cap in the unit wazero's runtime config takes.
func (c Config) memoryLimitPages() uint32 {
	return uint32(c.MemoryLimitBytes / wasmPageSize)
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

// clamp returns the limits a job actually runs under.
func (c Config) clamp(l Limits) Limits {
	return Limits{
		MemoryLimitBytes: lower(c.MemoryLimitBytes, l.MemoryLimitBytes),
		Timeout:          lower(c.Timeout, l.Timeout),
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
