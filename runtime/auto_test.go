package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAutoInterpretsFirstThenRunsCompiledCode: the first run of a module
// is interpreted while the compiler works in the background; once it is
// done, runs use compiled code, and both give the same Result.
func TestAutoInterpretsFirstThenRunsCompiledCode(t *testing.T) {
	e := newEngine(t, Config{Engine: EngineAuto})
	job := guestJob("rand")
	require.False(t, e.fast.modules.ready(moduleKeyOf(job)))

	first := run(t, e, job)
	require.Eventually(t, func() bool { return e.fast.modules.ready(moduleKeyOf(job)) }, 30*time.Second, 10*time.Millisecond,
		"the background compile finishes")
	b, _ := e.backendFor(moduleKeyOf(job), job.Module)
	assert.Same(t, e.fast, b, "compiled code once ready")
	assert.Equal(t, uint64(1), e.Compilations())

	second := run(t, e, job)
	first.Duration, first.CPU, second.Duration, second.CPU = 0, 0, 0, 0
	assert.Equal(t, first, second, "interpreter and compiler agree")
	assert.Equal(t, uint64(1), e.Compilations(), "no second compile")
}

// The background compile waits for the run that chose the interpreter to
// end (the caller's start): beside it, it would take that run's CPU in a
// run worker's one-CPU cgroup. Its slot is taken at once, so a second run
// meanwhile starts no compile of its own.
func TestAutoStartsTheBackgroundCompileWhenTheRunEnds(t *testing.T) {
	e := newEngine(t, Config{Engine: EngineAuto})
	job := guestJob("rand")
	key := moduleKeyOf(job)
	b, start := e.backendFor(key, job.Module)
	require.Same(t, e.quick, b)
	_, start2 := e.backendFor(key, job.Module)
	start2() // the slot is taken: nothing to start
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, uint64(0), e.Compilations(), "no compile before the run ends")
	start()
	require.Eventually(t, func() bool { return e.fast.modules.ready(key) }, 30*time.Second, 10*time.Millisecond,
		"the background compile runs once started")
	assert.Equal(t, uint64(1), e.Compilations())
}

func TestAutoCloseWaitsForBackgroundCompiles(t *testing.T) {
	e, err := New(context.Background(), Config{Engine: EngineAuto})
	require.NoError(t, err)
	run(t, e, guestJob("hello"))
	require.NoError(t, e.Close(context.Background()), "Close returns only after the background compile")
	_, err = e.Run(context.Background(), guestJob("hello"))
	assert.ErrorIs(t, err, ErrClosed)
}
