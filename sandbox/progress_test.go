package sandbox

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
)

// recorder collects the progress one caller is told.
type recorder struct {
	mu    sync.Mutex
	steps []Progress
}

func (r *recorder) observe(p Progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, p)
}

func (r *recorder) phases() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.steps {
		s := string(p.Phase)
		if p.Phase == PhaseQueued {
			s = fmt.Sprintf("queued %d", p.Position)
		}
		out = append(out, s)
	}
	return out
}

// A request that waits for a slot is told its position as the queue
// moves, then compiling, compiled and running; one that joins an
// identical request in flight is told where that request is, then what
// follows.
func TestProgressIsToldInOrderToEveryCaller(t *testing.T) {
	comp := newGatedCompiler()
	svc, err := NewService(Config{MaxConcurrent: 1}, Deps{Harnesses: harnesses.Default(), Compiler: comp, Engine: echoEngine{}})
	require.NoError(t, err)
	req := func(i int) Request { return Request{Harness: "program", Stub: fmt.Sprintf("fn main() {} // %d", i)} }

	var wg sync.WaitGroup
	recs := make([]*recorder, 3)
	for i := range 3 {
		recs[i] = &recorder{}
		wg.Go(func() {
			_, err := svc.ExecuteObserved(context.Background(), req(i), recs[i].observe)
			assert.NoError(t, err)
		})
		require.Eventually(t, func() bool { return comp.started.Load() == 1 && svc.gate.queued() == i }, 5*time.Second, time.Millisecond)
	}
	// A fourth caller asks for what the third waits for.
	joined := &recorder{}
	wg.Go(func() {
		_, err := svc.ExecuteObserved(context.Background(), req(2), joined.observe)
		assert.NoError(t, err)
	})
	require.Eventually(t, func() bool { return svc.flight.waiting(svc.resultKey(mustNormal(t, req(2)))) == 2 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, []string{"queued 1"}, joined.phases(), "a caller joining is told where the shared request is")

	close(comp.release)
	wg.Wait()
	assert.Equal(t, []string{"compiling", "compiled", "running"}, recs[0].phases())
	assert.Equal(t, []string{"queued 0", "compiling", "compiled", "running"}, recs[1].phases())
	assert.Equal(t, []string{"queued 1", "queued 0", "compiling", "compiled", "running"}, recs[2].phases(),
		"the position is told again as the queue moves")
	assert.Equal(t, recs[2].phases(), joined.phases())
	require.NotNil(t, recs[0].steps[1].Compiled)
	assert.True(t, recs[0].steps[1].Compiled.Success)

}

// mustNormal is req as Execute keys it.
func mustNormal(t *testing.T, req Request) Request {
	t.Helper()
	req.Stub = normalizeStub(req.Stub)
	var err error
	req.Args, err = canonicalArgs(req.Args)
	require.NoError(t, err)
	return req
}
