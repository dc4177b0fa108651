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
	assert.Zero(t, d.MaxQueue, "0: bounded by the expected wait, not a count")
	assert.EqualValues(t, 30_000, d.QueueWaitMS)
	assert.EqualValues(t, 1_000, d.JobEstimateMS)
	assert.EqualValues(t, 64<<20, d.MaxQueuedBytes)
	assert.Positive(t, d.MaxPreparing)
	got := Config{MaxConcurrent: 3}.withDefaults()
	assert.Zero(t, got.MaxQueue, "no count bound unless one is set")

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
		{"job_estimate_ms", func(c *Config) { c.JobEstimateMS = 0 }},
		{"max_queued_bytes", func(c *Config) { c.MaxQueuedBytes = 1000 }},
		{"max_preparing", func(c *Config) { c.MaxPreparing = 1025 }},
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
