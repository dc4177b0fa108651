package sandbox

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// flights runs one piece of work per key for every caller that asks for
// it while it runs (single flight), on a context of its own: the work
// keeps the first caller's values but not its cancellation, so one
// caller giving up (a client that disconnects, a deadline) does not fail
// the others, and it is canceled only when every caller waiting for it
// has gone. golang.org/x/sync/singleflight runs the work on the first
// caller's context, so that caller's cancellation hits everyone waiting.
type flights[T any] struct {
	mu    sync.Mutex
	calls map[string]*flightCall[T]
}

type flightCall[T any] struct {
	done    chan struct{} // closed when val and err are set
	val     T
	err     error
	waiters int
	cancel  context.CancelFunc
	// progress passes the call's steps to the callers that watch it.
	progress progressHub
}

// do returns the result of fn for key, starting fn unless a call for key
// is running, and waits for it as long as ctx allows. fn's context is
// canceled when the last waiter leaves before it finishes; a caller who
// then asks again starts a new call.
func (f *flights[T]) do(ctx context.Context, key string, fn func(context.Context) (T, error)) (T, error) {
	return f.watch(ctx, key, nil, func(ctx context.Context, _ Observer) (T, error) { return fn(ctx) })
}

// watch is do, also telling obs (if not nil) of the call's progress:
// where it is when this caller joins, then every step fn reports.
func (f *flights[T]) watch(ctx context.Context, key string, obs Observer, fn func(context.Context, Observer) (T, error)) (T, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flightCall[T]{}
	}
	c, ok := f.calls[key]
	if !ok {
		work, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &flightCall[T]{done: make(chan struct{}), cancel: cancel}
		f.calls[key] = c
		go f.run(work, key, c, fn)
	}
	c.waiters++
	f.mu.Unlock()
	defer c.progress.join(obs)()

	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.waiters--; c.waiters == 0 {
		c.cancel()
		if f.calls[key] == c {
			delete(f.calls, key)
		}
	}
	var zero T
	return zero, ctx.Err()
}

func (f *flights[T]) run(ctx context.Context, key string, c *flightCall[T], fn func(context.Context, Observer) (T, error)) {
	defer c.cancel()
	defer close(c.done)
	defer func() {
		if v := recover(); v != nil {
			// The caller logs an error that is not coded in full.
			c.err = fmt.Errorf("panic in a shared call: %v\n%s", v, debug.Stack())
		}
		f.mu.Lock()
		if f.calls[key] == c {
			delete(f.calls, key)
		}
		f.mu.Unlock()
	}()
	c.val, c.err = fn(ctx, c.progress.send)
}

// waiting is how many callers wait for key's call.
func (f *flights[T]) waiting(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.calls[key]; ok {
		return c.waiters
	}
	return 0
}
