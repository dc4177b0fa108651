package runtime

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
)

// ErrNoModule is returned by Run for a Job that names its module by
// ModuleKey without its bytes when the Engine does not hold that module
// compiled: the caller runs the job again with the bytes.
var ErrNoModule = errors.New("runtime: module not held; run again with its bytes")

// moduleKeyOf is the name a module has in the caches: the caller's
// identity for it (Job.ModuleKey, e.g. the compile key, which names the
// bytes without reading them), or else the SHA-256 of its bytes. The two
// kinds never collide.
func moduleKeyOf(job Job) string {
	if job.ModuleKey != "" {
		return "id:" + job.ModuleKey
	}
	return bytesKey(job.Module)
}

// bytesKey names bin by its content.
func bytesKey(bin []byte) string {
	sum := sha256.Sum256(bin)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// moduleCache is a small LRU of compiled modules keyed by their module
// key (moduleKeyOf), bounded by count and by bytes. Looking a module up
// reads no module bytes: a run of a held module needs neither its bytes
// nor a hash of them. wazero's compilation cache already skips code
// generation for known bytes, but CompileModule still hashes, decodes and
// validates the module every time; keeping the CompiledModule skips that.
//
// Entries are reference counted: an evicted module is closed only once no
// run holds it, since a run instantiates from it after acquiring it.
// Concurrent acquires of the same bytes share one compilation. A module
// whose charge alone is over the byte budget is compiled for each run that
// asks for it and closed when that run releases it.
type moduleCache struct {
	compile func(context.Context, []byte) (wazero.CompiledModule, error)
	// closeModule frees an evicted module no run holds any more.
	closeModule func(wazero.CompiledModule)
	max         int
	// maxBytes bounds the sum of the entries' charges; perCodeByte is
	// what one byte of code section costs in this backend (moduleCharge).
	maxBytes    int64
	perCodeByte int64
	// keepBytes keeps each entry's module bytes (EngineAuto's
	// interpreter: its background compile needs them when a run names
	// the module by key alone). They are part of the charge either way.
	keepBytes bool

	mu      sync.Mutex
	entries map[string]*cacheEntry
	lru     *list.List // of *cacheEntry, most recently used first
	bytes   int64

	compilations atomic.Uint64
}

type cacheEntry struct {
	key    string
	charge int64
	bin    []byte        // with keepBytes
	ready  chan struct{} // closed when mod or err is set
	mod    wazero.CompiledModule
	err    error

	// Guarded by moduleCache.mu.
	refs    int
	evicted bool
	elem    *list.Element
}

func newModuleCache(maxEntries int, maxBytes, perCodeByte int64, compile func(context.Context, []byte) (wazero.CompiledModule, error)) *moduleCache {
	return &moduleCache{
		compile:     compile,
		closeModule: func(m wazero.CompiledModule) { _ = m.Close(context.Background()) },
		max:         maxEntries,
		maxBytes:    maxBytes,
		perCodeByte: perCodeByte,
		entries:     make(map[string]*cacheEntry),
		lru:         list.New(),
	}
}

// Bytes a compiled module holds per byte of its wasm code section,
// measured with wazero 1.12 (Go heap and mapped code after compiling
// modules of 3 MB with 1.9 MB of code, and of 19 MB with 16 MiB of data):
// the interpreter keeps about 35 bytes of instructions per byte of code,
// the compiler about 9 of machine code and metadata. Data segments and the
// rest are kept about once.
const (
	interpreterBytesPerCodeByte = 36
	compilerBytesPerCodeByte    = 9
)

// moduleCharge estimates the memory a compiled bin holds: its bytes, plus
// perCodeByte-1 more for each byte of its code section. Bytes that are not
// a well-formed module are charged as if all were code.
func moduleCharge(bin []byte, perCodeByte int64) int64 {
	code, ok := codeSectionBytes(bin)
	if !ok {
		code = int64(len(bin))
	}
	return int64(len(bin)) + code*(perCodeByte-1)
}

// codeSectionBytes sums the sizes of bin's code sections (id 10), reading
// only the section headers.
func codeSectionBytes(bin []byte) (int64, bool) {
	if len(bin) < 8 || string(bin[:4]) != "\x00asm" {
		return 0, false
	}
	var code int64
	for i := 8; i < len(bin); {
		id := bin[i]
		size, n := uleb128(bin[i+1:])
		if n == 0 || size > uint64(len(bin)-i-1-n) {
			return 0, false
		}
		if id == 10 {
			code += int64(size)
		}
		i += 1 + n + int(size)
	}
	return code, true
}

// uleb128 decodes an unsigned LEB128 number of at most 32 bits, returning
// it and its length, or a length of 0 when b does not start with one.
func uleb128(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 5; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// acquire returns the compiled module named key, compiling bin if it is
// not held; with bin nil, a module not held is ErrNoModule. The caller
// must call release once done instantiating from it.
func (c *moduleCache) acquire(ctx context.Context, key string, bin []byte) (wazero.CompiledModule, func(), error) {
	c.mu.Lock()
	e, found := c.entries[key]
	if found {
		e.refs++
		c.lru.MoveToFront(e.elem)
		c.mu.Unlock()
		return c.await(ctx, e)
	}
	c.mu.Unlock()
	if bin == nil {
		return nil, nil, ErrNoModule
	}

	charge := moduleCharge(bin, c.perCodeByte)
	if charge > c.maxBytes {
		// Keeping it would push every other module out.
		c.compilations.Add(1)
		mod, err := c.safeCompile(ctx, bin)
		if err != nil {
			return nil, nil, err
		}
		return mod, func() { c.closeModule(mod) }, nil
	}

	c.mu.Lock()
	if e, found = c.entries[key]; found {
		// Another acquire of the same key came in meanwhile.
		e.refs++
		c.lru.MoveToFront(e.elem)
		c.mu.Unlock()
		return c.await(ctx, e)
	}
	e = &cacheEntry{key: key, charge: charge, ready: make(chan struct{}), refs: 1}
	if c.keepBytes {
		e.bin = bin
	}
	e.elem = c.lru.PushFront(e)
	c.entries[key] = e
	c.bytes += e.charge
	c.evictLocked()
	c.mu.Unlock()

	c.compilations.Add(1)
	mod, err := c.safeCompile(ctx, bin)
	c.mu.Lock()
	e.mod, e.err = mod, err
	if err != nil {
		// Failures are not kept: the next try compiles again.
		c.removeLocked(e)
	}
	c.mu.Unlock()
	close(e.ready)
	return c.await(ctx, e)
}

// await waits for e's compile, which the caller holds a reference to.
func (c *moduleCache) await(ctx context.Context, e *cacheEntry) (wazero.CompiledModule, func(), error) {
	release := func() { c.release(e) }
	select {
	case <-e.ready:
	case <-ctx.Done():
		select {
		case <-e.ready: // done after all: no reason to fail
		default:
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

// safeCompile is compile with a panic turned into an error: a panic
// would otherwise leave the entry's waiters blocked forever.
func (c *moduleCache) safeCompile(ctx context.Context, bin []byte) (mod wazero.CompiledModule, err error) {
	defer func() {
		if r := recover(); r != nil {
			mod, err = nil, fmt.Errorf("compile module: panic: %v", r)
		}
	}()
	return c.compile(ctx, bin)
}

// evictLocked drops least recently used entries past the bounds.
func (c *moduleCache) evictLocked() {
	for c.lru.Len() > c.max || c.bytes > c.maxBytes {
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
	c.bytes -= e.charge
	c.closeIfUnusedLocked(e)
}

// drop evicts key's entry, if kept (closed once no run holds it).
func (c *moduleCache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.removeLocked(e)
	}
}

func (c *moduleCache) closeIfUnusedLocked(e *cacheEntry) {
	if e.evicted && e.refs == 0 {
		e.bin = nil
		if e.mod != nil {
			c.closeModule(e.mod)
			e.mod = nil
		}
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

// ready reports whether key's module is compiled and kept, without
// waiting.
func (c *moduleCache) ready(key string) bool {
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

// bytesOf returns key's module bytes if the entry is kept with them.
func (c *moduleCache) bytesOf(key string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		return e.bin
	}
	return nil
}

// len reports how many modules are kept.
func (c *moduleCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// oversized reports whether bin is charged more than the whole budget.
func (c *moduleCache) oversized(bin []byte) bool {
	return moduleCharge(bin, c.perCodeByte) > c.maxBytes
}

// charged reports the kept modules' charges, in bytes.
func (c *moduleCache) charged() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
