package sandbox

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
)

func TestConfigDefaultsAndValidation(t *testing.T) {
	d := DefaultConfig()
	require.NoError(t, d.Validate())
	assert.Equal(t, 64<<10, d.MaxStubBytes)
	assert.Positive(t, d.MaxConcurrent)
	assert.Zero(t, d.MaxQueue, "0: four per slot")
	assert.EqualValues(t, 30_000, d.QueueWaitMS)
	got := Config{MaxConcurrent: 3}.withDefaults()
	assert.Equal(t, 12, got.MaxQueue, "the queue follows the slots")

	for _, tc := range []struct {
		key string
		mut func(*Config)
	}{
		{"max_stub_bytes", func(c *Config) { c.MaxStubBytes = 0 }},
		{"max_stub_bytes", func(c *Config) { c.MaxStubBytes = 16<<20 + 1 }},
		{"compile_limits.memory_bytes", func(c *Config) { c.CompileLimits.MemoryBytes = -1 }},
		{"compile_limits.cpu_time_ms", func(c *Config) { c.CompileLimits.CPUTimeMS = 10 }},
		{"max_concurrent", func(c *Config) { c.MaxConcurrent = -1 }},
		{"max_concurrent", func(c *Config) { c.MaxConcurrent = 1025 }},
		{"max_queue", func(c *Config) { c.MaxQueue = -1 }},
		{"queue_wait_ms", func(c *Config) { c.QueueWaitMS = -1 }},
		{"queue_wait_ms", func(c *Config) { c.QueueWaitMS = 600_001 }},
	} {
		c := DefaultConfig()
		tc.mut(&c)
		assert.ErrorContains(t, c.Validate(), tc.key+": ", "%+v", c)
	}
}

// max_concurrent -1 used to reach make(chan struct{}, -1) and panic.
func TestNewServiceRefusesBadConfigAndMissingParts(t *testing.T) {
	deps := Deps{Harnesses: harnesses.Default(), Compiler: &countingCompiler{}, Engine: &countingEngine{}}
	_, err := NewService(Config{MaxConcurrent: -1}, deps)
	require.ErrorContains(t, err, "max_concurrent: -1 is out of range 1..1024")

	_, err = NewService(Config{}, Deps{Harnesses: harnesses.Default()})
	require.Error(t, err)

	store, err := cache.New(cache.Config{Disabled: true})
	require.NoError(t, err)
	cached := deps
	cached.Results = store
	_, err = NewService(Config{}, cached)
	require.ErrorContains(t, err, "fingerprint")

	_, err = NewService(Config{}, deps)
	require.NoError(t, err)
}
