//go:build !linux

package runtime

import "time"

// threadCPU has no cheap per-thread source off Linux; Run then reports the
// wall time as CPU time.
func threadCPU() (time.Duration, bool) { return 0, false }
