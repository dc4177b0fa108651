package sandbox

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"
)

// gate bounds how many jobs (compile + run) run at once, and admits a job
// that finds every slot taken only if it can expect one within the queue
// wait: the expected wait is the jobs that would start before it, times
// the recent time a job holds a slot (an EWMA), shared by the slots. A
// fixed queue length would refuse work it could serve (a burst of quick
// jobs) and take work it could not (a queue of slow ones). Beyond the
// bound the request is refused as overloaded with a Retry-After from the
// same estimate, rather than piling up connections and memory.
//
// Slots are shared fairly between clients: a freed slot goes to the
// waiting job whose client holds the fewest slots, of those the client
// served least recently, and of its jobs the earliest. So one client's
// burst cannot keep another client's job waiting for more than about
// one job's time. The gate is work-conserving: a client alone may use
// every slot.
type gate struct {
	slots    int
	maxQueue int           // 0: no bound on the count, only on the wait
	wait     time.Duration // the queue wait: bound on expected and actual waits
	now      func() time.Time

	mu      sync.Mutex
	busy    int               // slots held
	holding map[string]int    // slots held per client
	served  map[string]uint64 // when each active client last got a slot
	grants  uint64            // slots granted so far: served's clock
	waiters []*waiter         // in order of arrival
	est     time.Duration     // recent slot time per job (EWMA)
}

// waiter is a job queued for a slot.
type waiter struct {
	client  string
	granted bool
	ready   chan struct{} // closed when granted
	// queued, if set, is told the waiter's position (the jobs queued
	// before it) when it joins the queue and whenever that changes.
	queued func(position int)
}

// ewmaWeight is the weight of the newest job in the slot-time estimate:
// about the last ten jobs count, so the estimate follows a change of load
// within a few seconds without swinging on one outlier.
const ewmaWeight = 0.2

func newGate(concurrency, queue int, wait, estimate time.Duration, now func() time.Time) *gate {
	if now == nil {
		now = time.Now
	}
	return &gate{slots: concurrency, maxQueue: queue, wait: wait, est: estimate, now: now,
		holding: map[string]int{}, served: map[string]uint64{}}
}

// enter takes a slot for client, queueing while its expected wait is
// within the queue wait, and for no longer than that wait; the returned
// func gives the slot back. queued, if not nil, is told the job's
// position while it waits (called with the gate's lock held: it must
// not block).
func (g *gate) enter(ctx context.Context, client string, queued func(position int)) (func(), error) {
	g.mu.Lock()
	// Slots are handed to waiters as they free, so a free slot means
	// nobody waits.
	if g.busy < g.slots {
		g.busy++
		g.grant(client)
		g.mu.Unlock()
		return g.leaver(client), nil
	}
	if g.maxQueue > 0 && len(g.waiters) >= g.maxQueue {
		retry := g.perSlot()
		g.mu.Unlock()
		return nil, overloaded("the queue is full", retry)
	}
	if wait := g.expectedWait(client); wait > g.wait {
		g.mu.Unlock()
		return nil, overloaded(fmt.Sprintf("a slot is expected in %s, beyond the %s queue wait", wait.Round(time.Millisecond), g.wait), wait-g.wait)
	}
	w := &waiter{client: client, ready: make(chan struct{}), queued: queued}
	g.waiters = append(g.waiters, w)
	if queued != nil {
		queued(len(g.waiters) - 1)
	}
	g.mu.Unlock()

	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	var err error
	select {
	case <-w.ready:
		return g.leaver(client), nil
	case <-timer.C:
		err = overloaded("no slot freed within the queue wait", 0)
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.mu.Lock()
	if w.granted { // granted while giving up: hand the slot on
		g.mu.Unlock()
		g.leaver(client)()
		return nil, err
	}
	g.remove(w)
	g.forget(client)
	if oe, ok := AsError(err); ok {
		oe.RetryAfter = g.perSlot()
	}
	g.mu.Unlock()
	return nil, err
}

// leaver returns the func that gives client's slot back, once, and
// counts how long the slot was held into the estimate.
func (g *gate) leaver(client string) func() {
	start := g.now()
	var once sync.Once
	return func() { once.Do(func() { g.leave(client, g.now().Sub(start)) }) }
}

func (g *gate) leave(client string, held time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.est = time.Duration(ewmaWeight*float64(held) + (1-ewmaWeight)*float64(g.est))
	if g.holding[client]--; g.holding[client] <= 0 {
		delete(g.holding, client)
	}
	next := g.next()
	if next == nil {
		g.busy--
	} else {
		g.remove(next)
		g.grant(next.client)
		next.granted = true
		close(next.ready)
	}
	g.forget(client)
}

// grant counts a slot given to client. Called with mu held.
func (g *gate) grant(client string) {
	g.holding[client]++
	g.grants++
	g.served[client] = g.grants
}

// forget drops what the gate remembers of client once it holds no slot
// and has no job waiting, so the maps stay as small as the active
// clients. Called with mu held.
func (g *gate) forget(client string) {
	if g.holding[client] > 0 {
		return
	}
	for _, w := range g.waiters {
		if w.client == client {
			return
		}
	}
	delete(g.served, client)
}

// next is the waiter the next free slot goes to: of the clients holding
// the fewest slots, the one served least recently, and its earliest
// waiter. Called with mu held.
func (g *gate) next() *waiter {
	var best *waiter
	for _, w := range g.waiters {
		if best == nil {
			best = w
			continue
		}
		h, bh := g.holding[w.client], g.holding[best.client]
		if h < bh || h == bh && g.served[w.client] < g.served[best.client] {
			best = w
		}
	}
	return best
}

// remove takes w out of the queue and tells the waiters behind it their
// new position. Called with mu held.
func (g *gate) remove(w *waiter) {
	for i, x := range g.waiters {
		if x == w {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			for j := i; j < len(g.waiters); j++ {
				if q := g.waiters[j].queued; q != nil {
					q(j)
				}
			}
			return
		}
	}
}

// expectedWait is how long a new job of client may expect to wait for a
// slot, every slot being taken. The jobs that would start before it are
// its client's own waiters, and, since slots go round the clients, up to
// one more than that from each other client; a slot frees every est /
// slots on average. Called with mu held.
func (g *gate) expectedWait(client string) time.Duration {
	queued := map[string]int{}
	for _, w := range g.waiters {
		queued[w.client]++
	}
	own := queued[client]
	ahead := own
	for c, n := range queued {
		if c != client {
			ahead += min(n, own+1)
		}
	}
	return time.Duration(ahead+1) * g.perSlot()
}

// perSlot is the expected time between two slots freeing. Called with mu
// held.
func (g *gate) perSlot() time.Duration { return g.est / time.Duration(g.slots) }

// estimate is the current slot time per job.
func (g *gate) estimate() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.est
}

// queued is the number of jobs waiting for a slot.
func (g *gate) queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.waiters)
}

func overloaded(why string, retry time.Duration) *Error {
	return &Error{Code: CodeOverloaded, RetryAfter: retry,
		Message: "the service is busy (" + why + "); retry shortly"}
}

// preparations bounds how many harness preparations (Harness.Plan: pure
// Go, linear in the stub, but CPU work before any slot) run at once.
// Waiting for one is bounded by the queue wait and the caller's deadline.
type preparations struct {
	slots   chan struct{}
	wait    time.Duration
	mu      sync.Mutex
	waiting int
}

func newPreparations(n int, wait time.Duration) *preparations {
	return &preparations{slots: make(chan struct{}, n), wait: wait}
}

// prepareIn runs f in one of p's slots. The caller waits for its result
// no longer than ctx allows; f itself cannot be interrupted, so its slot
// is held until it returns, which keeps the bound true. A panic in f is
// returned as an error: f runs on its own goroutine, where a panic would
// end the process.
func prepareIn[T any](ctx context.Context, p *preparations, f func() (T, error)) (T, error) {
	var zero T
	if err := p.enter(ctx); err != nil {
		return zero, err
	}
	type result struct {
		val T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-p.slots }()
		defer func() {
			if v := recover(); v != nil {
				done <- result{err: fmt.Errorf("preparation panicked: %v\n%s", v, debug.Stack())}
			}
		}()
		v, err := f()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.val, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// enter takes a slot, waiting no longer than the queue wait and ctx.
func (p *preparations) enter(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	p.mu.Lock()
	p.waiting++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.waiting--
		p.mu.Unlock()
	}()
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-timer.C:
		return overloaded("no preparation slot freed within the queue wait", 0)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// counts are the preparations running and waiting.
func (p *preparations) counts() (running, waiting int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.slots), p.waiting
}
