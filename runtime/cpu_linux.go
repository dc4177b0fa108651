package runtime

import (
	"syscall"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD, which package syscall lacks.
const rusageThread = 1

// threadCPU returns the calling OS thread's user plus system CPU time. Run
// locks the guest's goroutine to its thread, so the difference across a run
// is the run's own CPU time (its share of garbage collection done on other
// threads is not counted).
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
