package runtime

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVirtualClock(t *testing.T) {
	c := newVirtualClock()
	assert.Equal(t, VirtualClockStart, c.nanotime(), "first read is the start")
	assert.Equal(t, VirtualClockStart+int64(VirtualClockTick), c.nanotime(), "each read advances one tick")

	before := c.nanotime()
	c.nanosleep(int64(time.Hour))
	assert.Equal(t, before+int64(VirtualClockTick)+int64(time.Hour), c.nanotime())

	now := c.nanotime()
	c.nanosleep(0)
	c.nanosleep(-5)
	c.nanosleep(math.MaxInt64) // wazero's "no clock subscription" value
	assert.Equal(t, now+int64(VirtualClockTick), c.nanotime(), "those sleeps do not move the clock")

	c.nanosleep(math.MaxInt64 - 1)
	c.nanosleep(int64(time.Hour))
	assert.Equal(t, int64(math.MaxInt64), c.nanotime(), "saturates rather than wrapping")
	assert.Equal(t, int64(math.MaxInt64), c.nanotime())

	sec, nsec := frozenWalltime()
	assert.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(sec, int64(nsec)).UTC())
}

func TestCappedBuffer(t *testing.T) {
	overflows := 0
	b := newCappedBuffer(10, func() { overflows++ })
	n, err := b.Write([]byte("0123456789"))
	require.NoError(t, err)
	assert.Equal(t, 10, n)
	assert.False(t, b.truncated, "exactly the cap is not truncation")

	n, err = b.Write([]byte("abc"))
	require.NoError(t, err, "writes past the cap still succeed for the guest")
	assert.Equal(t, 3, n)
	_, _ = b.Write([]byte("def"))
	assert.True(t, b.truncated)
	assert.Equal(t, 1, overflows, "the run is stopped once")
	assert.Equal(t, "0123456789", string(b.bytes()))

	partial := newCappedBuffer(4, func() {})
	_, _ = partial.Write([]byte("ab"))
	_, _ = partial.Write([]byte("cdef"))
	assert.Equal(t, "abcd", string(partial.bytes()), "what fits of a write is kept")
	assert.Equal(t, []byte{}, newCappedBuffer(4, nil).bytes())
}

func TestCappedMemory(t *testing.T) {
	m := newCappedMemory(3 * wasmPageSize)
	lm := m.Allocate(5*wasmPageSize, 10*wasmPageSize)
	// The declared minimum is granted even past the cap; Run checks it.
	require.Len(t, lm.Reallocate(5*wasmPageSize), 5*wasmPageSize)
	assert.Nil(t, lm.Reallocate(6*wasmPageSize), "growth past the cap is refused")
	assert.Equal(t, int64(5*wasmPageSize), m.sizeBytes())

	m = newCappedMemory(4 * wasmPageSize)
	lm = m.Allocate(0, 100*wasmPageSize)
	require.Empty(t, lm.Reallocate(0))
	buf := lm.Reallocate(wasmPageSize)
	require.Len(t, buf, wasmPageSize)
	buf[0], buf[len(buf)-1] = 7, 9
	buf = lm.Reallocate(4 * wasmPageSize)
	require.Len(t, buf, 4*wasmPageSize)
	assert.Equal(t, byte(7), buf[0], "contents survive growth")
	assert.Equal(t, byte(9), buf[wasmPageSize-1])
	assert.LessOrEqual(t, cap(buf), 4*wasmPageSize, "never reserves past the cap")
	for _, b := range buf[wasmPageSize:] {
		require.Zero(t, b, "new pages are zero")
	}
	assert.Nil(t, lm.Reallocate(5*wasmPageSize))
	assert.Equal(t, int64(4*wasmPageSize), m.sizeBytes())
	require.NotNil(t, m.mapped, "backed by a mapping of the cap")
	lm.Free()
	assert.Nil(t, m.mapped, "unmapped when freed")
	lm.Free() // the run frees it again: a no-op

	// A new run's memory starts zero whatever the last one wrote.
	m = newCappedMemory(4 * wasmPageSize)
	buf = m.Allocate(0, 4*wasmPageSize).Reallocate(4 * wasmPageSize)
	for _, b := range buf {
		require.Zero(t, b)
	}
	m.Free()
}

func TestConfigDefaultsAndValidation(t *testing.T) {
	cfg, err := Config{}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, DefaultConfig(), cfg)
	assert.Equal(t, int64(256<<20), cfg.MemoryLimitBytes)
	assert.Equal(t, 10*time.Second, cfg.Timeout())
	assert.Equal(t, int64(1<<20), cfg.StdoutLimitBytes)
	assert.Equal(t, int64(1<<20), cfg.StderrLimitBytes)
	assert.Equal(t, EngineAuto, cfg.Engine)

	cfg, err = Config{MemoryLimitBytes: 3*wasmPageSize + 100}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, int64(3*wasmPageSize), cfg.MemoryLimitBytes, "rounded down to pages")

	for _, bad := range []struct {
		key string
		cfg Config
	}{
		{"memory_limit_bytes", Config{MemoryLimitBytes: -1}},
		{"memory_limit_bytes", Config{MemoryLimitBytes: 100}},
		{"memory_limit_bytes", Config{MemoryLimitBytes: 5 << 30}},
		{"timeout_ms", Config{TimeoutMS: -1000}},
		{"timeout_ms", Config{TimeoutMS: 3_600_001}},
		{"stdout_limit_bytes", Config{StdoutLimitBytes: -1}},
		{"stderr_limit_bytes", Config{StderrLimitBytes: -1}},
		{"max_compiled_modules", Config{MaxCompiledModules: -1}},
		{"engine", Config{Engine: "jit"}},
	} {
		_, err := New(t.Context(), bad.cfg)
		assert.ErrorContains(t, err, bad.key+": ", "%+v", bad.cfg)
	}
	assert.NoError(t, DefaultConfig().Validate())
}

func TestLimitsOnlyLower(t *testing.T) {
	cfg := DefaultConfig()
	assert.Equal(t, Limits{
		MemoryLimitBytes: cfg.MemoryLimitBytes,
		Timeout:          cfg.Timeout(),
		StdoutLimitBytes: cfg.StdoutLimitBytes,
		StderrLimitBytes: cfg.StderrLimitBytes,
	}, cfg.clamp(Limits{}), "zero keeps the config")

	assert.Equal(t, Limits{
		MemoryLimitBytes: 1 << 20,
		Timeout:          time.Second,
		StdoutLimitBytes: 10,
		StderrLimitBytes: 20,
	}, cfg.clamp(Limits{MemoryLimitBytes: 1 << 20, Timeout: time.Second, StdoutLimitBytes: 10, StderrLimitBytes: 20}), "lower is kept")

	assert.Equal(t, cfg.clamp(Limits{}), cfg.clamp(Limits{
		MemoryLimitBytes: 1 << 40,
		Timeout:          time.Hour,
		StdoutLimitBytes: 1 << 30,
		StderrLimitBytes: -3,
	}), "higher or negative cannot raise")
}

func TestArgv(t *testing.T) {
	assert.Equal(t, []string{"main"}, argv(nil))
	assert.Equal(t, []string{"main", "x"}, argv([]string{"", "x"}))
	assert.Equal(t, []string{"prog", "x"}, argv([]string{"prog", "x"}))
}

func TestConfigJSON(t *testing.T) {
	var cfg Config
	require.NoError(t, json.Unmarshal([]byte(`{
		"memory_limit_bytes": 1048576,
		"timeout_ms": 2000,
		"stdout_limit_bytes": 10,
		"stderr_limit_bytes": 20,
		"compilation_cache_dir": "/var/cache/x",
		"engine": "interpreter",
		"max_compiled_modules": 3
	}`), &cfg))
	assert.Equal(t, Config{
		MemoryLimitBytes:    1 << 20,
		TimeoutMS:           2000,
		StdoutLimitBytes:    10,
		StderrLimitBytes:    20,
		CompilationCacheDir: "/var/cache/x",
		Engine:              EngineInterpreter,
		MaxCompiledModules:  3,
	}, cfg)
}
