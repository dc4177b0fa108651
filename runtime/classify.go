package runtime

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Causes a run's context is canceled with.
var (
	errTimeout     = errors.New("runtime: run timed out")
	errOutputLimit = errors.New("runtime: output limit reached")
)

// rustAllocFailure is what Rust's default allocation error hook prints to
// stderr before aborting.
var rustAllocFailure = regexp.MustCompile(`memory allocation of (\d+) bytes failed`)

// isMemoryLimitTrap reports whether a run that trapped did so because it ran
// out of memory under its cap.
//
// A trap does not say why it happened: when memory.grow fails, Rust's
// allocator returns null, the alloc error hook prints "memory allocation of N
// bytes failed" and aborts, which on wasm is an `unreachable` trap, the same
// trap as any other abort. So the message on stderr is the only evidence.
// Stderr is the guest's to write, though, so the message alone is not
// trusted: it must also name a request that could not have fit, that is
// memBytes (the memory already held, which never shrinks) plus N is past
// capBytes. A guest printing the line with a small N while far under its cap
// is reported as the plain trap it is.
func isMemoryLimitTrap(stderr []byte, memBytes, capBytes int64) bool {
	if !strings.Contains(string(stderr), "memory allocation of") {
		return false
	}
	for _, m := range rustAllocFailure.FindAllSubmatch(stderr, -1) {
		n, err := strconv.ParseUint(string(m[1]), 10, 64)
		if err != nil {
			// Too many digits for uint64: certainly past any cap.
			return true
		}
		if n > uint64(capBytes) || int64(n)+memBytes > capBytes {
			return true
		}
	}
	return false
}
