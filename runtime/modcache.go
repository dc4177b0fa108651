package runtime

import (
	"container/list"
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
)

// moduleCache is a small LRU of compiled modules keyed by the sha256 of their
// bytes, bounded by count. wazero's compilation cache already skips code
// generation for known bytes, but CompileModule still decodes and validates
// the module every time; keeping the CompiledModule skips that too.
//
// Entries are reference counted: an evicted module is closed only once no
// run holds it, since a run instantiates from it after acquiring it.
// Concurrent acquires of the same bytes share one compilation.
type moduleCache struct {
	compile func(context.Context, []byte) (wazero.CompiledModule, error)
	max     int

	mu      sync.Mutex
	entries map[[sha256.Size]byte]*cacheEntry
	lru     *list.List // of *cacheEntry, most recently used first

	compilations atomic.Uint64
}

type cacheEntry struct {
	key   [sha256.Size]byte
	ready chan struct{} // closed when mod or err is set
	mod   wazero.CompiledModule
	err   error

	// Guarded by moduleCache.mu.
	refs    int
	evicted bool
	elem    *list.Element
}

func newModuleCache(maxEntries int, compile func(context.Context, []byte) (wazero.CompiledModule, error)) *moduleCache {
	return &moduleCache{
		compile: compile,
		max:     maxEntries,
		entries: make(map[[sha256.Size]byte]*cacheEntry),
		lru:     list.New(),
	}
}

// acquire returns the compiled module for bin, compiling it if needed. The
// caller must call release once done instantiating from it.
func (c *moduleCache) acquire(ctx context.Context, bin []byte) (wazero.CompiledModule, func(), error) {
	key := sha256.Sum256(bin)

	c.mu.Lock()
	e, found := c.entries[key]
	if found {
		e.refs++
		c.lru.MoveToFront(e.elem)
	} else {
		e = &cacheEntry{key: key, ready: make(chan struct{}), refs: 1}
		e.elem = c.lru.PushFront(e)
		c.entries[key] = e
		c.evictLocked()
	}
	c.mu.Unlock()
	release := func() { c.release(e) }

	if !found {
		c.compilations.Add(1)
		mod, err := c.compile(ctx, bin)
		c.mu.Lock()
		e.mod, e.err = mod, err
		if err != nil {
			// Failures are not kept: the next try compiles again.
			c.removeLocked(e)
		}
		c.mu.Unlock()
		close(e.ready)
	} else {
		select {
		case <-e.ready:
		case <-ctx.Done():
			release()
			return nil, nil, context.Cause(ctx)
		}
	}
	if e.err != nil {
		release()
		return nil, nil, e.err
	}
	return e.mod, release, nil
}

func (c *moduleCache) release(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	c.closeIfUnusedLocked(e)
}

// evictLocked drops least recently used entries past the bound.
func (c *moduleCache) evictLocked() {
	for c.lru.Len() > c.max {
		c.removeLocked(c.lru.Back().Value.(*cacheEntry))
	}
}

func (c *moduleCache) removeLocked(e *cacheEntry) {
	if e.evicted {
		return
	}
	e.evicted = true
	c.lru.Remove(e.elem)
	delete(c.entries, e.key)
	c.closeIfUnusedLocked(e)
}

func (c *moduleCache) closeIfUnusedLocked(e *cacheEntry) {
	if e.evicted && e.refs == 0 && e.mod != nil {
		// Closing only frees compiled code; it cannot fail in a way a
		// caller could act on.
		_ = e.mod.Close(context.Background())
		e.mod = nil
	}
}

// closeAll evicts everything; entries still held close on release.
func (c *moduleCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.lru.Len() > 0 {
		c.removeLocked(c.lru.Back().Value.(*cacheEntry))
	}
}

// ready reports whether bin is compiled and kept, without waiting.
func (c *moduleCache) ready(bin []byte) bool {
	key := sha256.Sum256(bin)
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if !ok {
		return false
	}
	select {
	case <-e.ready:
		return e.err == nil
	default:
		return false
	}
}

// len reports how many modules are kept.
func (c *moduleCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
