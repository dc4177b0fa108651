package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// gatedCompiler holds every compile until release is closed, or until
// its context ends, and counts both.
type gatedCompiler struct {
	release  chan struct{}
	started  atomic.Int64
	canceled atomic.Int64
}

func newGatedCompiler() *gatedCompiler { return &gatedCompiler{release: make(chan struct{})} }

func (g *gatedCompiler) Compile(ctx context.Context, in compiler.Input) (compiler.Output, error) {
	g.started.Add(1)
	select {
	case <-g.release:
		return compiler.Output{Compile: outcome.Compile{Success: true}, Module: in.Source}, nil
	case <-ctx.Done():
		g.canceled.Add(1)
		return compiler.Output{}, ctx.Err()
	}
}

// echoEngine runs every module at once, printing its bytes.
type echoEngine struct{}

func (echoEngine) Run(_ context.Context, job wasmrt.Job) (wasmrt.Result, error) {
	return wasmrt.Result{Run: outcome.Run{ExitCode: exitCode(0), Stdout: job.Module}}, nil
}

// Issue 14, item 10: 60 new stubs at once on two slots, with a 30 s
// queue wait and a second per job, all fit (the last expects 29 s); a
// fixed queue of 4 per slot refused 50 of them.
func TestABurstThatFitsTheQueueWaitIsServed(t *testing.T) {
	comp := newGatedCompiler()
	svc, err := NewService(Config{MaxConcurrent: 2}, Deps{Harnesses: harnesses.Default(), Compiler: comp, Engine: echoEngine{}})
	require.NoError(t, err)
	var (
		mu      sync.Mutex
		refused int
		wg      sync.WaitGroup
	)
	for i := range 60 {
		wg.Go(func() {
			_, err := svc.Execute(context.Background(), Request{Harness: "program", Stub: fmt.Sprintf("fn main() {} // %d", i)})
			if err != nil {
				mu.Lock()
				refused++
				mu.Unlock()
				if e, ok := AsError(err); !ok || e.Code != CodeOverloaded {
					t.Errorf("only overloaded refusals: %v", err)
				}
			}
		})
	}
	settled := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return comp.started.Load() == 2 && svc.gate.queued()+refused == 58
	}
	require.Eventually(t, settled, 10*time.Second, time.Millisecond)
	mu.Lock()
	assert.Zero(t, refused, "every job expects a slot within the queue wait")
	mu.Unlock()
	close(comp.release)
	wg.Wait()
	assert.EqualValues(t, 60, comp.started.Load())
}

// The bytes of waiting requests are capped: with 64 KiB of room, two
// 30 KiB requests wait and a third is refused, whatever the count.
func TestQueuedBytesAreCapped(t *testing.T) {
	comp := newGatedCompiler()
	svc, err := NewService(Config{MaxConcurrent: 1, MaxQueuedBytes: 64 << 10},
		Deps{Harnesses: harnesses.Default(), Compiler: comp, Engine: echoEngine{}})
	require.NoError(t, err)
	stub := func(i int) Request {
		return Request{Harness: "program", Stub: fmt.Sprintf("fn main() {} // %d %s", i, strings.Repeat("x", 30<<10))}
	}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() { _, errs[i] = svc.Execute(context.Background(), stub(i)) })
		if i == 0 {
			require.Eventually(t, func() bool { return comp.started.Load() == 1 }, 5*time.Second, time.Millisecond)
		} else {
			require.Eventually(t, func() bool { return svc.gate.queued() == i }, 5*time.Second, time.Millisecond)
		}
	}
	assert.Greater(t, svc.queued.InUse(), int64(60<<10), "two waiting requests hold their bytes; the running one does not")
	_, err = svc.Execute(context.Background(), stub(3))
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeOverloaded, e.Code)
	assert.Contains(t, e.Message, "bytes")
	assert.Positive(t, e.RetryAfter)
	close(comp.release)
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.Zero(t, svc.queued.InUse(), "every byte is given back")
}

// slowHarness's preparation counts how many run at once and waits for
// release; its plans are skipped, so only preparation is exercised.
type slowHarness struct {
	release chan struct{}
	calls   atomic.Int64
	inside  atomic.Int64
	most    atomic.Int64
}

func (h *slowHarness) registry(t *testing.T) *harnesses.Registry {
	t.Helper()
	r, err := harnesses.NewRegistry(&harnesses.Harness{ID: "slow", ArgsSchema: json.RawMessage(`{}`), Example: json.RawMessage(`{}`),
		Plan: func(stub string, _ json.RawMessage) (harnesses.Plan, error) {
			h.calls.Add(1)
			n := h.inside.Add(1)
			defer h.inside.Add(-1)
			for {
				m := h.most.Load()
				if n <= m || h.most.CompareAndSwap(m, n) {
					break
				}
			}
			<-h.release
			return harnesses.Plan{Source: []byte(stub), Steps: harnesses.Skip}, nil
		}})
	require.NoError(t, err)
	return r
}

// Issue 14, item 1: preparation is bounded (here 2 at once): the other
// requests wait for a preparation slot instead of all preparing at once.
func TestPreparationsAreBounded(t *testing.T) {
	h := &slowHarness{release: make(chan struct{})}
	svc, err := NewService(Config{MaxPreparing: 2}, Deps{Harnesses: h.registry(t), Compiler: newGatedCompiler(), Engine: echoEngine{}})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			_, err := svc.Execute(context.Background(), Request{Harness: "slow", Stub: fmt.Sprint("stub ", i)})
			assert.NoError(t, err)
		})
	}
	require.Eventually(t, func() bool {
		running, waiting := svc.prepare.counts()
		return running == 2 && waiting == 3
	}, 5*time.Second, time.Millisecond)
	assert.EqualValues(t, 2, h.inside.Load(), "two preparations run, three wait")
	close(h.release)
	wg.Wait()
	assert.EqualValues(t, 2, h.most.Load())
	assert.EqualValues(t, 5, h.calls.Load())
}

// Identical requests in flight share one preparation: the memo and the
// single flight come before it.
func TestIdenticalRequestsShareOnePreparation(t *testing.T) {
	h := &slowHarness{release: make(chan struct{})}
	svc, err := NewService(Config{}, Deps{Harnesses: h.registry(t), Compiler: newGatedCompiler(), Engine: echoEngine{}})
	require.NoError(t, err)
	req := Request{Harness: "slow", Stub: "same"}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			_, err := svc.Execute(context.Background(), req)
			assert.NoError(t, err)
		})
	}
	norm := req
	norm.Stub = normalizeStub(req.Stub)
	norm.Args, err = canonicalArgs(req.Args)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return svc.flight.waiting(svc.resultKey(norm)) == 3 }, 5*time.Second, time.Millisecond)
	close(h.release)
	wg.Wait()
	assert.EqualValues(t, 1, h.calls.Load())
}

// A preparation runs under the request's deadline: the caller is
// answered when its context ends, while the preparation keeps its slot
// until it returns, so the bound stays true.
func TestPreparationRunsUnderTheDeadline(t *testing.T) {
	h := &slowHarness{release: make(chan struct{})}
	svc, err := NewService(Config{MaxPreparing: 1}, Deps{Harnesses: h.registry(t), Compiler: newGatedCompiler(), Engine: echoEngine{}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := svc.Execute(ctx, Request{Harness: "slow", Stub: "a"})
		done <- err
	}()
	require.Eventually(t, func() bool { return h.inside.Load() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	running, _ := svc.prepare.counts()
	assert.Equal(t, 1, running, "the abandoned preparation still holds its slot")
	close(h.release)
	require.Eventually(t, func() bool { r, _ := svc.prepare.counts(); return r == 0 }, 5*time.Second, time.Millisecond)
}

// A preparation that panics is an error of the request, not the end of
// the process: it runs on its own goroutine.
func TestPreparationPanicIsAnError(t *testing.T) {
	r, err := harnesses.NewRegistry(&harnesses.Harness{ID: "bad", ArgsSchema: json.RawMessage(`{}`), Example: json.RawMessage(`{}`),
		Plan: func(string, json.RawMessage) (harnesses.Plan, error) { panic("bad plan") }})
	require.NoError(t, err)
	svc, err := NewService(Config{}, Deps{Harnesses: r, Compiler: newGatedCompiler(), Engine: echoEngine{}})
	require.NoError(t, err)
	_, err = svc.Execute(context.Background(), Request{Harness: "bad", Stub: "x"})
	require.ErrorContains(t, err, "bad plan")
	_, coded := AsError(err)
	assert.False(t, coded, "an internal failure")
}
