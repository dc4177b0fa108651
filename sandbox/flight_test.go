package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// sharedFlight starts two identical requests through a service whose
// compiler holds them, and returns once both wait for the one compile.
func sharedFlight(t *testing.T) (svc *Service, comp *gatedCompiler, cancels [2]context.CancelFunc, results [2]chan error) {
	t.Helper()
	comp = newGatedCompiler()
	svc, err := NewService(Config{}, Deps{Harnesses: harnesses.Default(), Compiler: comp, Engine: echoEngine{}})
	require.NoError(t, err)
	req := Request{Harness: "program", Stub: "fn main() {}\n", Args: []byte(`{}`)}
	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		cancels[i], results[i] = cancel, make(chan error, 1)
		go func() {
			resp, err := svc.Execute(ctx, req)
			if err == nil && resp.Status != outcome.StatusOK {
				err = errors.New("status " + string(resp.Status))
			}
			results[i] <- err
		}()
	}
	key := svc.resultKey(req)
	require.Eventually(t, func() bool { return comp.started.Load() == 1 && svc.flight.waiting(key) == 2 },
		5*time.Second, time.Millisecond, "both requests wait for one compile")
	return svc, comp, cancels, results
}

// Issue 14, item 6: the first of two callers sharing a flight goes away;
// the second still gets its result, from the same compile.
func TestACallerLeavingDoesNotFailTheFlight(t *testing.T) {
	_, comp, cancels, results := sharedFlight(t)
	cancels[0]()
	assert.ErrorIs(t, <-results[0], context.Canceled, "the caller that left is told so")
	close(comp.release)
	assert.NoError(t, <-results[1], "the other caller gets the result")
	assert.EqualValues(t, 1, comp.started.Load())
	assert.Zero(t, comp.canceled.Load(), "the work was not canceled")
}

// When every caller has gone, the work is canceled; a caller that asks
// again then starts anew.
func TestTheFlightIsCanceledWhenEveryCallerHasGone(t *testing.T) {
	svc, comp, cancels, results := sharedFlight(t)
	cancels[0]()
	cancels[1]()
	for _, r := range results {
		assert.ErrorIs(t, <-r, context.Canceled)
	}
	require.Eventually(t, func() bool { return comp.canceled.Load() == 1 }, 5*time.Second, time.Millisecond,
		"the compile's context is canceled")

	close(comp.release)
	resp, err := svc.Execute(context.Background(), Request{Harness: "program", Stub: "fn main() {}\n"})
	require.NoError(t, err)
	assert.Equal(t, outcome.StatusOK, resp.Status)
	assert.EqualValues(t, 2, comp.started.Load(), "a new call, not the canceled one")
}

// A panic in the shared work is an error for every caller, not the end
// of the process.
func TestAPanicInAFlightIsAnError(t *testing.T) {
	var f flights[int]
	_, err := f.do(context.Background(), "k", func(context.Context) (int, error) { panic("boom") })
	require.ErrorContains(t, err, "boom")
	v, err := f.do(context.Background(), "k", func(context.Context) (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)
}
