package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// limitsRecorder records the limits each compile and run was given.
type limitsRecorder struct {
	countingCompiler
	countingEngine
	compiles []compiler.Input
	runs     []wasmrt.Limits
}

func (r *limitsRecorder) Compile(ctx context.Context, in compiler.Input) (compiler.Output, error) {
	r.compiles = append(r.compiles, in)
	return r.countingCompiler.Compile(ctx, in)
}

func (r *limitsRecorder) Run(ctx context.Context, job wasmrt.Job) (wasmrt.Result, error) {
	r.runs = append(r.runs, job.Limits)
	return r.countingEngine.Run(ctx, job)
}

func limitsService(t *testing.T, max Limits) (*Service, *limitsRecorder) {
	t.Helper()
	rec := &limitsRecorder{}
	svc, err := NewService(Config{MaxRequestLimits: max}, Deps{Harnesses: harnesses.Default(), Compiler: rec, Engine: rec,
		Limits: Limits{RunTimeoutMS: 10_000, MemoryBytes: 256 << 20, StdoutBytes: 1 << 20, StderrBytes: 1 << 20,
			CompileWallTimeMS: 30_000, CompileMemoryBytes: 1 << 30}})
	require.NoError(t, err)
	return svc, rec
}

func TestRequestLimitsLowerAndRaiseWithinTheMaximum(t *testing.T) {
	svc, rec := limitsService(t, Limits{RunTimeoutMS: 60_000, MemoryBytes: 1 << 30, CompileWallTimeMS: 90_000})
	req := programReq("fn main() {}\n", "")
	req.Limits = Limits{RunTimeoutMS: 60_000, MemoryBytes: 1<<20 + 100, StdoutBytes: 10, CompileWallTimeMS: 5_000}
	resp, err := svc.Execute(context.Background(), req)
	require.NoError(t, err)
	want := Limits{RunTimeoutMS: 60_000, MemoryBytes: 1 << 20, StdoutBytes: 10, StderrBytes: 1 << 20,
		CompileWallTimeMS: 5_000, CompileMemoryBytes: 1 << 30}
	assert.Equal(t, &want, resp.Limits, "the effective limits, echoed (memory in whole pages)")
	require.Len(t, rec.runs, 1)
	assert.Equal(t, wasmrt.Limits{MemoryLimitBytes: 1 << 20, Timeout: time.Minute, StdoutLimitBytes: 10, StderrLimitBytes: 1 << 20}, rec.runs[0])
	require.Len(t, rec.compiles, 1)
	assert.EqualValues(t, 5_000, rec.compiles[0].Limits.WallTimeMS)
	assert.EqualValues(t, 1<<30, rec.compiles[0].Limits.MemoryBytes)

	// Without limits: the defaults, echoed.
	resp, err = svc.Execute(context.Background(), programReq("fn main() {}\n", ""))
	require.NoError(t, err)
	assert.Equal(t, &Limits{RunTimeoutMS: 10_000, MemoryBytes: 256 << 20, StdoutBytes: 1 << 20, StderrBytes: 1 << 20,
		CompileWallTimeMS: 30_000, CompileMemoryBytes: 1 << 30}, resp.Limits)
}

func TestRequestLimitsOverTheMaximumAreRefused(t *testing.T) {
	svc, rec := limitsService(t, Limits{RunTimeoutMS: 60_000})
	for _, c := range []struct {
		limits Limits
		field  string
		says   string
	}{
		{Limits{RunTimeoutMS: 60_001}, "limits.run_timeout_ms", "maximum is 60000"},
		{Limits{StdoutBytes: 2 << 20}, "limits.stdout_bytes", "maximum is 1048576"}, // no maximum configured: the default
		{Limits{MemoryBytes: 1000}, "limits.memory_bytes", "the least is 65536"},
		{Limits{CompileMemoryBytes: -1}, "limits.compile_memory_bytes", "the least is 1"},
	} {
		req := programReq("fn main() {}\n", "")
		req.Limits = c.limits
		_, err := svc.Execute(context.Background(), req)
		e, ok := AsError(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, CodeInvalid, e.Code)
		assert.Equal(t, c.field, e.Field)
		assert.Contains(t, e.Message, c.says)
	}
	assert.Empty(t, rec.compiles, "nothing refused is compiled")
}

// The effective limits are part of the memo key: the same request under
// other limits is another result, and under the same ones (given or
// defaulted) the same.
func TestLimitsArePartOfTheMemoKey(t *testing.T) {
	c, e := &countingCompiler{}, &countingEngine{}
	svc := newCachedService(t, c, e)
	plain := programReq("fn main() {}\n", "")
	first, err := svc.Execute(context.Background(), plain)
	require.NoError(t, err)
	assert.Equal(t, cache.Miss, first.Cache.Result)

	same := plain
	same.Limits = *first.Limits // the defaults, given explicitly
	again, err := svc.Execute(context.Background(), same)
	require.NoError(t, err)
	assert.Equal(t, cache.Memory, again.Cache.Result)

	lower := plain
	lower.Limits = Limits{StdoutBytes: 5}
	other, err := svc.Execute(context.Background(), lower)
	require.NoError(t, err)
	assert.Equal(t, cache.Miss, other.Cache.Result)
	assert.Equal(t, cache.Memory, other.Cache.Module, "run limits share the compile")

	compileLower := plain
	compileLower.Limits = Limits{CompileWallTimeMS: 1000}
	third, err := svc.Execute(context.Background(), compileLower)
	require.NoError(t, err)
	assert.Equal(t, cache.Miss, third.Cache.Module, "compile limits are part of the compile's key")
	assert.EqualValues(t, 2, c.calls.Load())
}

func TestMaxRequestLimitsValidation(t *testing.T) {
	err := Config{MaxRequestLimits: Limits{MemoryBytes: 1 << 40}}.withDefaults().Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_request_limits.memory_bytes")
	_, err = NewService(Config{MaxRequestLimits: Limits{RunTimeoutMS: 5}}, Deps{Harnesses: harnesses.Default(),
		Compiler: &countingCompiler{}, Engine: &countingEngine{}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_request_limits.run_timeout_ms (5) is less than its default (10000)")
}
