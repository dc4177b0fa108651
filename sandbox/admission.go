package sandbox

import (
	"context"
	"sync/atomic"
	"time"
)

// gate bounds how many jobs run at once and how many may wait, and for
// how long: beyond that a request is refused as overloaded rather than
// piling up jails and memory.
type gate struct {
	slots   chan struct{}
	waiting atomic.Int64
	maxWait int64
	wait    time.Duration
}

func newGate(concurrency, queue int, wait time.Duration) *gate {
	return &gate{slots: make(chan struct{}, concurrency), maxWait: int64(queue), wait: wait}
}

// enter takes a slot, waiting in the bounded queue for at most the gate's
// wait; the returned func gives the slot back.
func (g *gate) enter(ctx context.Context) (func(), error) {
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	default:
	}
	if g.waiting.Add(1) > g.maxWait {
		g.waiting.Add(-1)
		return nil, overloaded("the queue is full")
	}
	defer g.waiting.Add(-1)
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	case <-timer.C:
		return nil, overloaded("no slot freed within the queue wait")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *gate) leave() { <-g.slots }

func overloaded(why string) *Error {
	return &Error{Code: CodeOverloaded, Message: "the service is busy (" + why + "); retry shortly"}
}
