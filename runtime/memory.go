package runtime

import (
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sys/unix"
)

// cappedMemory backs one run's linear memory and enforces the job's memory
// limit. wazero's own page limit is fixed per runtime at compile time, so it
// can only hold the Config's cap; a job's lower cap is enforced here, where
// wazero asks for every growth: refusing makes memory.grow return -1 in the
// guest, exactly as hitting the module's maximum would.
//
// It also records the memory's size, which is the run's peak (wasm memory
// never shrinks), and whether a growth was refused at the cap: the host's
// own observation that the guest needed more memory than it may have,
// which is what a run's memory_limit is decided from (see classify).
//
// The memory is one anonymous mapping of the whole cap, reserved up front
// (MAP_NORESERVE: address space, not memory): growing hands out more of
// it, with no copy, no zeroing (the kernel's pages are zero) and nothing
// on the Go heap for the collector; only the pages the guest touches are
// resident, and unmapping returns them at once. Where the mapping fails,
// the memory is a Go slice grown by doubling instead.
type cappedMemory struct {
	limit   uint64
	max     uint64
	buf     []byte
	mapped  []byte // the reservation, while mapped
	sized   bool
	size    atomic.Uint64
	refused atomic.Bool
	once    sync.Once
}

var (
	_ experimental.MemoryAllocator = (*cappedMemory)(nil)
	_ experimental.LinearMemory    = (*cappedMemory)(nil)
)

func newCappedMemory(limitBytes int64) *cappedMemory {
	return &cappedMemory{limit: uint64(limitBytes)}
}

// Allocate implements experimental.MemoryAllocator. A module has at most one
// memory, so the allocator is the memory.
func (m *cappedMemory) Allocate(capacity, maxBytes uint64) experimental.LinearMemory {
	m.max = min(maxBytes, m.limit)
	if m.max > 0 {
		if b, err := unix.Mmap(-1, 0, int(m.max), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE); err == nil {
			m.mapped = b
			m.buf = b[:0]
			return m
		}
	}
	m.buf = make([]byte, 0, capacity)
	return m
}

// Reallocate implements experimental.LinearMemory.
func (m *cappedMemory) Reallocate(size uint64) []byte {
	// The first call sizes the memory to the module's declared minimum.
	// wazero cannot take a refusal there (it would panic), so the minimum
	// is allowed and Run checks it against the limit before the guest runs.
	if size > m.max && m.sized {
		// Past the module's own declared maximum wazero refuses without
		// asking; reaching here is the sandbox's cap (or the 4 GiB of
		// wasm32, which is past any cap too).
		m.refused.Store(true)
		return nil
	}
	m.sized = true
	if size <= uint64(cap(m.buf)) {
		// Memory never shrinks, and the capacity past len was zeroed by make
		// and never handed out, so the new pages are already zero.
		m.buf = m.buf[:size]
	} else {
		// Double like append does, but never reserve past the cap.
		newCap := max(size, min(2*uint64(cap(m.buf)), max(m.max, size)))
		grown := make([]byte, size, newCap)
		copy(grown, m.buf)
		m.buf = grown
	}
	m.size.Store(size)
	return m.buf
}

// Free implements experimental.LinearMemory: wazero calls it when the
// instance closes. The run calls it too, once the instance is closed
// (an instantiation that failed half-way may not have), so a mapping
// never outlives its run. Nothing reads the guest's memory after that:
// every host function copies what it takes from it.
func (m *cappedMemory) Free() {
	m.once.Do(func() {
		m.buf = nil
		if m.mapped != nil {
			_ = unix.Munmap(m.mapped) // only fails for a bad range
			m.mapped = nil
		}
	})
}

// sizeBytes is the memory's current (and so peak) size.
func (m *cappedMemory) sizeBytes() int64 {
	return int64(m.size.Load())
}

// hitCap reports whether a growth was refused at the cap.
func (m *cappedMemory) hitCap() bool {
	return m.refused.Load()
}
