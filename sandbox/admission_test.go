package sandbox

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is the gate's clock, moved by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// queue starts a job of client that waits in g, and waits until it is
// queued; its result arrives on the returned channel, and cancel takes
// it out of the queue.
func queue(t *testing.T, g *gate, client string) (<-chan error, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	before := g.queued()
	got := make(chan error, 1)
	go func() {
		leave, err := g.enter(ctx, client, nil)
		if err == nil {
			leave()
		}
		got <- err
	}()
	require.Eventually(t, func() bool { return g.queued() == before+1 }, 5*time.Second, time.Millisecond, "queued")
	return got, cancel
}

func requireOverloaded(t *testing.T, err error) *Error {
	t.Helper()
	e, ok := AsError(err)
	require.True(t, ok, "a coded refusal: %v", err)
	require.Equal(t, CodeOverloaded, e.Code)
	return e
}

// A job that finds every slot taken is admitted while its expected wait
// (jobs ahead + 1, times the slot time, over the slots) fits the queue
// wait, and refused with a Retry-After of the excess when it does not.
func TestGateAdmitsByExpectedWait(t *testing.T) {
	clock := &fakeClock{}
	// Two slots, a second per job: a slot frees every 500 ms, so 20 jobs
	// fit a 10 s wait (the 20th expects 20 × 500 ms) and the 21st not.
	g := newGate(2, 0, 10*time.Second, time.Second, clock.now)
	for range 2 {
		leave, err := g.enter(context.Background(), "a", nil)
		require.NoError(t, err)
		t.Cleanup(leave)
	}
	for range 20 {
		queue(t, g, "a")
	}
	_, err := g.enter(context.Background(), "a", nil)
	e := requireOverloaded(t, err)
	assert.Equal(t, 500*time.Millisecond, e.RetryAfter, "21 × 500 ms is 500 ms over the wait")
	assert.Contains(t, e.Message, "expected in 10.5s")
	assert.Equal(t, 20, g.queued(), "the refused job did not queue")
}

// A count bound, when configured, still holds.
func TestGateMaxQueue(t *testing.T) {
	g := newGate(1, 1, time.Minute, time.Millisecond, nil)
	leave, err := g.enter(context.Background(), "a", nil)
	require.NoError(t, err)
	queued, _ := queue(t, g, "a")
	_, err = g.enter(context.Background(), "a", nil)
	assert.Contains(t, requireOverloaded(t, err).Message, "queue is full")
	leave()
	assert.NoError(t, <-queued, "the queued job gets the freed slot")
}

// The estimate follows the slot times of finished jobs.
func TestGateEstimateFollowsFinishedJobs(t *testing.T) {
	clock := &fakeClock{}
	g := newGate(1, 0, time.Minute, time.Second, clock.now)
	leave, err := g.enter(context.Background(), "a", nil)
	require.NoError(t, err)
	clock.advance(3 * time.Second)
	leave()
	leave() // twice is once
	assert.Equal(t, 1400*time.Millisecond, g.estimate(), "0.2 × 3 s + 0.8 × 1 s")
}

// A freed slot goes to the waiting client that holds the fewest, and a
// newcomer's expected wait counts one turn per client, not the whole
// queue of another client's burst.
func TestGateSharesSlotsBetweenClients(t *testing.T) {
	clock := &fakeClock{}
	// One slot, a second per job, a 3 s wait: the hog's fourth queued job
	// would wait 4 s and is refused, the other client's first is not.
	g := newGate(1, 0, 3*time.Second, time.Second, clock.now)
	leave, err := g.enter(context.Background(), "hog", nil)
	require.NoError(t, err)
	hog1, _ := queue(t, g, "hog")
	hog2, _ := queue(t, g, "hog")
	hog3, _ := queue(t, g, "hog")
	_, err = g.enter(context.Background(), "hog", nil)
	requireOverloaded(t, err)

	other := make(chan error, 1)
	got := make(chan string, 4)
	go func() {
		l, err := g.enter(context.Background(), "other", nil)
		if err == nil {
			got <- "other"
			l()
		}
		other <- err
	}()
	require.Eventually(t, func() bool { return g.queued() == 4 }, 5*time.Second, time.Millisecond)
	leave()
	require.NoError(t, <-other, "the other client is admitted: one hog job ahead of it at most")
	assert.Equal(t, "other", <-got, "and served before the hog's queued jobs")
	for _, c := range []<-chan error{hog1, hog2, hog3} {
		assert.NoError(t, <-c)
	}
}

// A job that was admitted but gets no slot within the queue wait is
// refused then, and leaves the queue; so does one whose caller gives up.
func TestGateRefusesAfterTheQueueWait(t *testing.T) {
	g := newGate(1, 0, 20*time.Millisecond, time.Millisecond, nil)
	leave, err := g.enter(context.Background(), "a", nil)
	require.NoError(t, err)
	defer leave()
	_, err = g.enter(context.Background(), "a", nil)
	requireOverloaded(t, err)
	assert.Zero(t, g.queued(), "a refused job leaves the queue")

	g = newGate(1, 0, time.Minute, time.Millisecond, nil)
	leave2, err := g.enter(context.Background(), "a", nil)
	require.NoError(t, err)
	defer leave2()
	got, cancel := queue(t, g, "a")
	cancel()
	assert.ErrorIs(t, <-got, context.Canceled)
	assert.Zero(t, g.queued())
}
