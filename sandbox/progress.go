package sandbox

import (
	"sync"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// Phase names a step of a request's way through the service, as a
// caller watching it (the streaming route) is told of it.
type Phase string

const (
	// PhaseQueued: waiting for a compile-and-run slot; Progress.Position
	// says how many jobs are ahead. Sent again when that changes.
	PhaseQueued Phase = "queued"
	// PhaseCompiling: the plan's source is being compiled (or read from
	// the module store).
	PhaseCompiling Phase = "compiling"
	// PhaseCompiled: the compile has ended; Progress.Compiled says how.
	PhaseCompiled Phase = "compiled"
	// PhaseRunning: the module is running.
	PhaseRunning Phase = "running"
)

// Progress is one step of a request's way, as it happens.
type Progress struct {
	Phase Phase
	// Position, for PhaseQueued, is the number of jobs queued ahead of
	// this one (earlier arrivals; the fair sharing of slots between
	// clients may still start it sooner).
	Position int
	// Compiled, for PhaseCompiled, is whether the compile succeeded and
	// its diagnostics in the stub's numbering.
	Compiled *CompiledProgress
}

// CompiledProgress is how a compile ended, as told before the run.
type CompiledProgress struct {
	Success     bool
	Diagnostics []outcome.Diagnostic
}

// Observer receives a request's progress. It is called on the service's
// goroutines, in order, and must not block: hand the value on and return.
type Observer func(Progress)

// progressHub passes the progress of one shared call to every caller
// waiting for it (single flight): a caller that joins late is first told
// where the call is (how it compiled, and the phase it is in), then
// whatever follows.
type progressHub struct {
	mu        sync.Mutex
	observers map[int]Observer
	next      int
	compiled  *Progress // the compiled step, once there was one
	last      *Progress // the latest step
}

// send tells every observer of p. Observers are called under the hub's
// lock, so each sees the steps in order, and a joining one cannot miss
// or repeat a step.
func (h *progressHub) send(p Progress) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p.Phase == PhaseCompiled {
		h.compiled = &p
	}
	h.last = &p
	for _, obs := range h.observers {
		obs(p)
	}
}

// join adds obs, telling it first where the call is; the returned func
// removes it.
func (h *progressHub) join(obs Observer) (leave func()) {
	if obs == nil {
		return func() {}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.compiled != nil {
		obs(*h.compiled)
	}
	if h.last != nil && h.last != h.compiled {
		obs(*h.last)
	}
	if h.observers == nil {
		h.observers = map[int]Observer{}
	}
	id := h.next
	h.next++
	h.observers[id] = obs
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.observers, id)
	}
}
