package sandbox

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// Counting fakes: this is a unit test of the caching logic; the real
// compiler and engine are exercised end to end in the root package.
type countingCompiler struct {
	calls atomic.Int64
	delay time.Duration
}

func (c *countingCompiler) Compile(_ context.Context, in compiler.Input) (compiler.Output, error) {
	c.calls.Add(1)
	time.Sleep(c.delay)
	return compiler.Output{Compile: outcome.Compile{Success: true}, Module: append([]byte("module:"), in.Source...)}, nil
}

type countingEngine struct {
	runs  atomic.Int64
	limit outcome.Limit
}

func (e *countingEngine) Run(_ context.Context, job wasmrt.Job) (wasmrt.Result, error) {
	e.runs.Add(1)
	code := int32(0)
	return wasmrt.Result{Run: outcome.Run{ExitCode: &code, Limit: e.limit, Stdout: append([]byte("stdin="), job.Stdin...)}}, nil
}

func newCachedService(t *testing.T, c Compiler, e Engine) *Service {
	t.Helper()
	return serviceOver(t, [2]string{t.TempDir(), t.TempDir()}, cache.Config{}, c, e)
}

func programReq(stub, stdin string) Request {
	args, _ := json.Marshal(map[string]string{"stdin": stdin})
	return Request{Harness: "program", Stub: stub, Args: args}
}

func TestSameRequestIsMemoized(t *testing.T) {
	c, e := &countingCompiler{}, &countingEngine{}
	svc := newCachedService(t, c, e)
	first, err := svc.Execute(context.Background(), programReq("fn main() {}\n", "a"))
	require.NoError(t, err)
	assert.Equal(t, cache.Miss, first.Cache.Result)
	// The same request with other line endings, trailing blanks and key
	// order is the same request.
	second, err := svc.Execute(context.Background(), Request{Harness: "program", Stub: "fn main() {}  \r\n\r\n", Args: json.RawMessage(`{ "stdin" : "a" }`)})
	require.NoError(t, err)
	assert.Equal(t, cache.Memory, second.Cache.Result)
	assert.EqualValues(t, 1, c.calls.Load())
	assert.EqualValues(t, 1, e.runs.Load())
	assert.Equal(t, first.Run.Stdout, second.Run.Stdout)
	assert.Equal(t, first.Seed, second.Seed)
}

func TestNewArgsReuseTheCompiledModule(t *testing.T) {
	c, e := &countingCompiler{}, &countingEngine{}
	svc := newCachedService(t, c, e)
	_, err := svc.Execute(context.Background(), programReq("fn main() {}\n", "a"))
	require.NoError(t, err)
	resp, err := svc.Execute(context.Background(), programReq("fn main() {}\n", "b"))
	require.NoError(t, err)
	assert.Equal(t, cache.Miss, resp.Cache.Result)
	assert.Equal(t, cache.Memory, resp.Cache.Module)
	assert.True(t, resp.Compile.Cached)
	assert.Equal(t, "stdin=b", resp.Run.Stdout)
	assert.EqualValues(t, 1, c.calls.Load(), "one compile for both")
	assert.EqualValues(t, 2, e.runs.Load())
}

func TestConcurrentIdenticalRequestsShareOneCompileAndRun(t *testing.T) {
	c, e := &countingCompiler{delay: 200 * time.Millisecond}, &countingEngine{}
	svc := newCachedService(t, c, e)
	var wg sync.WaitGroup
	outs := make([]string, 8)
	for i := range outs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := svc.Execute(context.Background(), programReq("fn main() {}\n", "same"))
			if assert.NoError(t, err) {
				outs[i] = resp.Run.Stdout
			}
		}(i)
	}
	wg.Wait()
	assert.EqualValues(t, 1, c.calls.Load())
	assert.EqualValues(t, 1, e.runs.Load())
	for _, o := range outs {
		assert.Equal(t, "stdin=same", o)
	}
}

func TestTimeoutsAreNotMemoized(t *testing.T) {
	c, e := &countingCompiler{}, &countingEngine{limit: outcome.LimitTime}
	svc := newCachedService(t, c, e)
	for i := 0; i < 2; i++ {
		resp, err := svc.Execute(context.Background(), programReq("fn main() { loop {} }\n", ""))
		require.NoError(t, err)
		assert.Equal(t, outcome.StatusTimeout, resp.Status)
		assert.Equal(t, cache.Miss, resp.Cache.Result)
	}
	assert.EqualValues(t, 2, e.runs.Load(), "each timeout is run again")
	assert.EqualValues(t, 1, c.calls.Load(), "the module is still reused")
}

type killedCompiler struct{ calls atomic.Int64 }

func (c *killedCompiler) Compile(context.Context, compiler.Input) (compiler.Output, error) {
	c.calls.Add(1)
	return compiler.Output{ExitCode: 137, Signaled: true, Compile: outcome.Compile{Stderr: "[the compiler was killed by signal 9]"}}, nil
}

func TestKilledCompilesAreNotCached(t *testing.T) {
	c := &killedCompiler{}
	svc := newCachedService(t, c, &countingEngine{})
	for i := 0; i < 2; i++ {
		resp, err := svc.Execute(context.Background(), programReq("fn main() {}\n", "x"))
		require.NoError(t, err)
		assert.Equal(t, outcome.StatusCompileError, resp.Status)
		assert.Equal(t, cache.Miss, resp.Cache.Module)
	}
	assert.EqualValues(t, 2, c.calls.Load(), "a compile killed from outside is tried again")
}
