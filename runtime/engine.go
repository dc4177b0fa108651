package runtime

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// ErrClosed is returned by Run on an Engine that is closed.
var ErrClosed = errors.New("runtime: engine closed")

// ErrInvalidModule wraps the errors for module bytes that cannot be run:
// not valid wasm, imports nothing here provides, or no _start export.
var ErrInvalidModule = errors.New("runtime: invalid module")

// Engine runs guest modules. Build it once with New and share it: it is safe
// for concurrent use, and it keeps compiled modules so that the same bytes
// are compiled once.
type Engine struct {
	cfg   Config
	cache wazero.CompilationCache
	// code bounds the compilation cache's directory (nil without one).
	code *codeCache
	// fast runs compiled code; quick, present only for EngineAuto, is the
	// interpreter that runs a module until fast has compiled it.
	fast, quick *backend
	// background bounds the optimizing compiles started for EngineAuto.
	background chan struct{}
	// backgroundFailures counts background compiles that failed or
	// panicked; lastLogged rate-limits their log lines.
	backgroundFailures atomic.Uint64
	lastLogged         atomic.Int64

	mu     sync.RWMutex
	closed bool
	runs   sync.WaitGroup
}

// New builds an Engine from cfg, whose zero fields take their defaults.
func New(ctx context.Context, cfg Config) (*Engine, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Engine != EngineInterpreter && goruntime.GOARCH != "amd64" && goruntime.GOARCH != "arm64" {
		return nil, fmt.Errorf("runtime: engine %q is not supported on %s; use %q", cfg.Engine, goruntime.GOARCH, EngineInterpreter)
	}

	var (
		cache wazero.CompilationCache
		code  *codeCache
	)
	if cfg.CompilationCacheDir != "" {
		if cache, err = wazero.NewCompilationCacheWithDir(cfg.CompilationCacheDir); err != nil {
			return nil, fmt.Errorf("runtime: compilation cache in %q: %w", cfg.CompilationCacheDir, err)
		}
		if code, err = openCodeCache(cfg.CompilationCacheDir, cfg.CompilationCacheBytes); err != nil {
			return nil, errors.Join(err, cache.Close(ctx))
		}
	} else {
		cache = wazero.NewCompilationCache()
	}

	e := &Engine{cfg: cfg, cache: cache, code: code, background: make(chan struct{}, cfg.MaxBackgroundCompiles)}
	fastConfig, perCodeByte := wazero.NewRuntimeConfigCompiler(), int64(compilerBytesPerCodeByte)
	if cfg.Engine == EngineInterpreter {
		fastConfig, perCodeByte = wazero.NewRuntimeConfigInterpreter(), interpreterBytesPerCodeByte
	}
	// Only the compiler reads and writes the directory.
	fastCode := code
	if cfg.Engine == EngineInterpreter {
		fastCode = nil
	}
	if e.fast, err = newBackend(ctx, cfg, fastConfig, cache, perCodeByte, fastCode); err != nil {
		return nil, errors.Join(err, cache.Close(ctx), e.closeCode())
	}
	if cfg.Engine == EngineAuto {
		if e.quick, err = newBackend(ctx, cfg, wazero.NewRuntimeConfigInterpreter(), cache, interpreterBytesPerCodeByte, nil); err != nil {
			return nil, errors.Join(err, e.fast.close(ctx), cache.Close(ctx), e.closeCode())
		}
		e.quick.modules.keepBytes = true
		e.quick.name = string(EngineInterpreter)
	}
	e.fast.name = string(cfg.Engine)
	if cfg.Engine == EngineAuto {
		e.fast.name = string(EngineCompiler)
	}
	return e, nil
}

// CompileObserver hears how long wazero took to compile a module, and on
// which engine ("compiler" or "interpreter").
type CompileObserver interface {
	ModuleCompiled(engine string, d time.Duration)
}

// ObserveCompiles has o told of every module compile from now on.
func (e *Engine) ObserveCompiles(o CompileObserver) {
	for _, b := range []*backend{e.fast, e.quick} {
		if b != nil {
			b.observer.Store(&o)
		}
	}
}

func (e *Engine) closeCode() error {
	if e.code == nil {
		return nil
	}
	return e.code.close()
}

// backend is one wazero runtime with its host modules and its cache of
// compiled modules.
type backend struct {
	rt      wazero.Runtime
	modules *moduleCache
	// code is the compilation cache directory this backend's compiles
	// read and write, or nil.
	code *codeCache
	// extraRefs holds modules that wazero counted twice (see compile).
	extraRefs sync.Map // wazero.CompiledModule -> struct{}
	// name is the engine's ("compiler", "interpreter"), for observer.
	name     string
	observer atomic.Pointer[CompileObserver]
}

func newBackend(ctx context.Context, cfg Config, rc wazero.RuntimeConfig, cache wazero.CompilationCache, perCodeByte int64, code *codeCache) (*backend, error) {
	rc = rc.
		// The whole wasm32 address space: every cap, the Config's and a
		// job's, is enforced by cappedMemory, which so sees every growth
		// refused at a cap (wazero refuses growth past its own limit
		// without asking the allocator) and the run can be classified
		// from what the host observed (see classify).
		WithMemoryLimitPages(uint32(maxMemoryLimitBytes / wasmPageSize)).
		// Without it a guest in a loop cannot be stopped at all.
		WithCloseOnContextDone(true).
		WithCompilationCache(cache)
	rt := wazero.NewRuntimeWithConfig(ctx, rc)

	// The host modules are instantiated once per runtime: wazero names
	// modules uniquely per runtime, so concurrent runs could not each have
	// their own. Per-run state comes from the ModuleConfig (WASI) or the
	// call's context (vsock).
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return nil, errors.Join(fmt.Errorf("runtime: instantiate WASI: %w", err), rt.Close(ctx))
	}
	if err := instantiateVsock(ctx, rt); err != nil {
		return nil, errors.Join(err, rt.Close(ctx))
	}
	if err := instantiateRecords(ctx, rt); err != nil {
		return nil, errors.Join(err, rt.Close(ctx))
	}
	b := &backend{rt: rt, code: code}
	b.modules = newModuleCache(cfg.MaxCompiledModules, cfg.CompiledModulesBytes, perCodeByte, b.compile)
	b.modules.closeModule = b.closeModule
	return b, nil
}

func (b *backend) compile(ctx context.Context, bin []byte) (wazero.CompiledModule, error) {
	// Compilation is not interruptible; a context without cancellation
	// keeps one waiter's cancellation from failing the others sharing it.
	ctx = context.WithoutCancel(ctx)
	if o := b.observer.Load(); o != nil {
		defer func(start time.Time) { (*o).ModuleCompiled(b.name, time.Since(start)) }(time.Now())
	}
	mod, err := b.rt.CompileModule(ctx, bin)
	if b.code == nil {
		if err != nil {
			return nil, fmt.Errorf("compile module: %w", err)
		}
		return mod, nil
	}
	read := b.code.sync()
	if err == nil {
		return mod, nil
	}
	// wazero fails a compile when its cache directory fails it: a file
	// it cannot read back whole (truncated, a directory, bytes that fail
	// its checksum), or a write that fails (a full disk). The files this
	// compile read are removed, and it is tried once more: then it
	// either compiles afresh or finds the code it just compiled in memory.
	b.code.remove(read)
	mod, err2 := b.rt.CompileModule(ctx, bin)
	b.code.sync()
	if err2 != nil {
		return nil, fmt.Errorf("compile module: %w", err2)
	}
	if cacheWriteFailed(err) {
		// The failed compile kept its code in memory with a count of
		// one that no handle owns; closing this handle once more frees it.
		b.extraRefs.Store(mod, struct{}{})
	}
	slog.Warn("runtime: the compilation cache failed a compile; compiled without it", "dir", b.code.dir, "err", err)
	return mod, nil
}

// cacheWriteFailed says whether err is wazero's failure to write its
// cache file: an error on its temporary file, or the rename of it.
func cacheWriteFailed(err error) bool {
	var pe *fs.PathError
	var le *os.LinkError
	return errors.As(err, &le) || errors.As(err, &pe) && strings.HasSuffix(pe.Path, ".tmp")
}

// closeModule closes mod, twice if wazero counted it twice.
func (b *backend) closeModule(mod wazero.CompiledModule) {
	// Closing only frees compiled code; it cannot fail in a way a caller
	// could act on.
	_ = mod.Close(context.Background())
	if _, ok := b.extraRefs.LoadAndDelete(mod); ok {
		_ = mod.Close(context.Background())
	}
}

func (b *backend) close(ctx context.Context) error {
	b.modules.closeAll()
	return b.rt.Close(ctx)
}

// backendFor picks where the module named key (bytes bin, nil when the
// job names it by key alone) runs. With EngineAuto: compiled code when it
// is ready; otherwise the interpreter, and the optimizing compile starts
// in the background (at most MaxBackgroundCompiles at once, so a burst of
// new modules cannot take every CPU; a module that finds no free slot
// tries again on its next run). The interpreter keeps each module's bytes
// for that compile, so a run by key alone can start it too.
//
// The background compile starts when the caller calls the returned start
// (never nil), once the run that chose it has ended: compiling takes
// 1–3 s of CPU for a Rocket app, and started beside the run it took half
// of a run worker's one CPU from that run's own interpreter compile and
// guest (286 vs 120 ms to compile hello-world for the interpreter in a
// worker). The slot is taken now, so runs in the meantime do not start
// compiles of their own.
func (e *Engine) backendFor(key string, bin []byte) (*backend, func()) {
	none := func() {}
	if e.quick == nil || e.fast.modules.ready(key) {
		return e.fast, none
	}
	if bin == nil {
		if bin = e.quick.modules.bytesOf(key); bin == nil {
			// Held by neither (or only as the compile in progress):
			// acquire says so, and the caller sends the bytes.
			return e.quick, none
		}
	}
	if e.fast.modules.oversized(bin) {
		// Never kept, so never ready: a background compile would be
		// thrown away each time. Compiled for each run instead (from the
		// compilation cache after the first).
		return e.fast, none
	}
	select {
	case e.background <- struct{}{}:
		e.runs.Add(1) // Close waits for it like for a run
		return e.quick, func() {
			go func() {
				defer e.runs.Done()
				defer func() { <-e.background }()
				e.compileInBackground(key, bin)
			}()
		}
	default:
	}
	return e.quick, none
}

// compileInBackground compiles bin for the fast backend. A failure, even
// a panic, only leaves the module to the interpreter, and is logged; on
// success the interpreter's copy is dropped, as no run will use it again.
func (e *Engine) compileInBackground(key string, bin []byte) {
	var err error
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
		if err != nil {
			e.backgroundFailures.Add(1)
			now := time.Now().Unix()
			if last := e.lastLogged.Load(); now-last >= 10 && e.lastLogged.CompareAndSwap(last, now) {
				slog.Error("runtime: background compile failed; the module runs interpreted", "module_bytes", len(bin), "err", err)
			}
		}
	}()
	var release func()
	if _, release, err = e.fast.modules.acquire(context.Background(), key, bin); err != nil {
		return
	}
	release()
	e.quick.modules.drop(key)
}

// Holds reports whether the Engine holds the module a Job names by
// moduleKey compiled, so that the Job needs no bytes (it may still be
// evicted before the run: Run then returns ErrNoModule).
func (e *Engine) Holds(moduleKey string) bool {
	key := moduleKeyOf(Job{ModuleKey: moduleKey})
	if e.fast.modules.ready(key) {
		return true
	}
	return e.quick != nil && e.quick.modules.ready(key)
}

// Config returns the Engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Compilations reports how many times the Engine's main (compiling, unless
// EngineInterpreter) backend has compiled module bytes, that is, how often
// its compiled-module cache missed.
func (e *Engine) Compilations() uint64 { return e.fast.modules.compilations.Load() }

// CacheUsage is what the Engine's caches hold now.
type CacheUsage struct {
	// CompiledModules and CompiledModulesBytes are the modules kept
	// ready in memory, over both backends, and their charged bytes.
	CompiledModules      int
	CompiledModulesBytes int64
	// CompilationCacheBytes is the size of CompilationCacheDir's files (0
	// without one).
	CompilationCacheBytes int64
	// BackgroundCompileFailures counts EngineAuto's failed background
	// compiles.
	BackgroundCompileFailures uint64
}

// CacheUsage reports the bytes per cache tier (for metrics).
func (e *Engine) CacheUsage() CacheUsage {
	u := CacheUsage{BackgroundCompileFailures: e.backgroundFailures.Load()}
	for _, b := range []*backend{e.fast, e.quick} {
		if b != nil {
			u.CompiledModules += b.modules.len()
			u.CompiledModulesBytes += b.modules.charged()
		}
	}
	if e.code != nil {
		u.CompilationCacheBytes = e.code.usage()
	}
	return u
}

// enter registers a run, or fails if the Engine is closed.
func (e *Engine) enter() error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return ErrClosed
	}
	e.runs.Add(1)
	return nil
}

// Close waits for runs in progress (each is bounded by its timeout), then
// releases the compiled modules, the wazero runtime and the compilation
// cache. Closing a runtime under a running guest would make it look as if
// the guest had exited with status 0, hence the wait. Close is idempotent.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()

	e.runs.Wait()
	errs := []error{e.fast.close(ctx)}
	if e.quick != nil {
		errs = append(errs, e.quick.close(ctx))
	}
	return errors.Join(append(errs, e.cache.Close(ctx), e.closeCode())...)
}
