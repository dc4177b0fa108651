package runtime

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/sys"
)

// FrozenWalltimeUnix is the guest's wall clock, in seconds since the Unix
// epoch: 2024-01-01T00:00:00Z, for every read of every run. A real clock
// would make output depend on when the request arrived.
const FrozenWalltimeUnix int64 = 1704067200

// Virtual monotonic clock parameters.
const (
	// VirtualClockStart is the first monotonic reading of every run. It is
	// not zero because some runtimes (Go's among them) treat a zero reading
	// as a broken clock.
	VirtualClockStart int64 = int64(time.Second)
	// VirtualClockTick is how far every monotonic read advances the clock,
	// so that busy-waits and elapsed-time measurements still see time pass.
	VirtualClockTick = time.Microsecond
)

// clockResolution is what clock_res_get reports for both clocks.
const clockResolution = sys.ClockResolution(VirtualClockTick)

// frozenWalltime implements sys.Walltime.
func frozenWalltime() (sec int64, nsec int32) {
	return FrozenWalltimeUnix, 0
}

// virtualClock is one run's monotonic clock. Time passes only when the guest
// reads the clock (one tick) or sleeps (the requested duration), so a run's
// view of time depends on nothing but what the guest does.
//
// wazero reaches it through ModuleConfig: clock_time_get(monotonic) calls
// nanotime, and poll_oneoff, which is how WASI guests sleep (Rust's
// thread::sleep, tokio's timer driver, Go's scheduler), calls nanosleep with
// the smallest relative clock subscription.
type virtualClock struct {
	now atomic.Int64
}

func newVirtualClock() *virtualClock {
	c := &virtualClock{}
	c.now.Store(VirtualClockStart)
	return c
}

// nanotime implements sys.Nanotime: it returns the current reading and then
// advances the clock by one tick.
func (c *virtualClock) nanotime() int64 {
	return c.advance(int64(VirtualClockTick))
}

// nanosleep implements sys.Nanosleep without sleeping: the guest's clock jumps
// ahead by ns and the guest resumes at once, so timers cost no wall time and
// fire at the same virtual instant on every run.
func (c *virtualClock) nanosleep(ns int64) {
	// wazero v1.12's poll_oneoff passes math.MaxInt64 when no subscription
	// was a clock (only fd events, all already answered). Nothing is to be
	// waited for then, so the clock must not jump by 292 years.
	if ns <= 0 || ns == math.MaxInt64 {
		return
	}
	c.advance(ns)
}

// advance moves the clock forward by d, saturating instead of wrapping so
// that the clock never goes backwards, and returns the reading before.
func (c *virtualClock) advance(d int64) int64 {
	for {
		old := c.now.Load()
		next := old + d
		if next < old {
			next = math.MaxInt64
		}
		if c.now.CompareAndSwap(old, next) {
			return old
		}
	}
}

// osyield implements sys.Osyield. Yielding the host thread would only add
// wall time: the guest is single-threaded, so there is no one to yield to.
func osyield() {}
