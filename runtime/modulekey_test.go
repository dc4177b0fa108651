package runtime

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A job that names its module by key runs the held module without its
// bytes, with the same result as a run with them; a key the Engine does
// not hold is ErrNoModule, not a failed run; and a job with neither is
// an invalid module.
func TestRunByModuleKeyNeedsNoBytes(t *testing.T) {
	e := newEngine(t, Config{})
	job := guestJob("rand")
	job.ModuleKey = "compile-key-1"
	assert.False(t, e.Holds(job.ModuleKey))

	_, err := e.Run(context.Background(), Job{ModuleKey: job.ModuleKey, Args: job.Args})
	require.ErrorIs(t, err, ErrNoModule)

	withBytes := run(t, e, job)
	assert.True(t, e.Holds(job.ModuleKey))
	byKey := job
	byKey.Module = nil
	keyOnly := run(t, e, byKey)
	assert.Equal(t, withoutTimes(withBytes), withoutTimes(keyOnly))
	assert.Equal(t, uint64(1), e.Compilations(), "compiled once, for the key")

	_, err = e.Run(context.Background(), Job{Args: job.Args})
	assert.ErrorIs(t, err, ErrInvalidModule)
}

// The key is the identity: the same bytes under two keys are two
// entries, and a key with no bytes never falls back to another key's
// module (an evicted one is ErrNoModule again).
func TestModuleKeysAreIdentities(t *testing.T) {
	e := newEngine(t, Config{MaxCompiledModules: 1})
	a := Job{Module: nopModule(1), ModuleKey: "a"}
	b := Job{Module: nopModule(1), ModuleKey: "b"}
	run(t, e, a)
	run(t, e, b)
	assert.Equal(t, uint64(2), e.Compilations())
	assert.False(t, e.Holds("a"), "one module kept: a was evicted")
	_, err := e.Run(context.Background(), Job{ModuleKey: "a"})
	assert.ErrorIs(t, err, ErrNoModule)
}

// With EngineAuto, a run by key alone of a module the interpreter holds
// also starts the optimizing compile (the interpreter kept the bytes), and
// later key-only runs get the compiled code.
func TestAutoRunByKeyReachesCompiledCode(t *testing.T) {
	e := newEngine(t, Config{Engine: EngineAuto, MaxBackgroundCompiles: 1})
	job := guestJob("rand")
	job.ModuleKey = "k"
	// Hold the single background slot, so the first run leaves only the
	// interpreter with the module.
	e.background <- struct{}{}
	first := run(t, e, job)
	require.True(t, e.Holds("k"), "the interpreter holds it")
	require.False(t, e.fast.modules.ready(moduleKeyOf(job)))
	<-e.background

	byKey := Job{ModuleKey: "k", Args: job.Args}
	run(t, e, byKey) // starts the background compile from the kept bytes
	require.Eventually(t, func() bool { return e.fast.modules.ready(moduleKeyOf(byKey)) }, time.Minute, 10*time.Millisecond)
	b, _ := e.backendFor(moduleKeyOf(byKey), nil)
	assert.Same(t, e.fast, b)
	last := run(t, e, byKey)
	assert.Equal(t, withoutTimes(first), withoutTimes(last), "interpreter and compiler agree")
}
