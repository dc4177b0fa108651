package runtime

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"sync"

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
	// fast runs compiled code; quick, present only for EngineAuto, is the
	// interpreter that runs a module until fast has compiled it.
	fast, quick *backend
	// background bounds the optimizing compiles started for EngineAuto.
	background chan struct{}

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

	var cache wazero.CompilationCache
	if cfg.CompilationCacheDir != "" {
		if cache, err = wazero.NewCompilationCacheWithDir(cfg.CompilationCacheDir); err != nil {
			return nil, fmt.Errorf("runtime: compilation cache in %q: %w", cfg.CompilationCacheDir, err)
		}
	} else {
		cache = wazero.NewCompilationCache()
	}

	e := &Engine{cfg: cfg, cache: cache, background: make(chan struct{}, 1)}
	fastConfig := wazero.NewRuntimeConfigCompiler()
	if cfg.Engine == EngineInterpreter {
		fastConfig = wazero.NewRuntimeConfigInterpreter()
	}
	if e.fast, err = newBackend(ctx, cfg, fastConfig, cache); err != nil {
		return nil, errors.Join(err, cache.Close(ctx))
	}
	if cfg.Engine == EngineAuto {
		if e.quick, err = newBackend(ctx, cfg, wazero.NewRuntimeConfigInterpreter(), cache); err != nil {
			return nil, errors.Join(err, e.fast.close(ctx), cache.Close(ctx))
		}
	}
	return e, nil
}

// backend is one wazero runtime with its host modules and its cache of
// compiled modules.
type backend struct {
	rt      wazero.Runtime
	modules *moduleCache
}

func newBackend(ctx context.Context, cfg Config, rc wazero.RuntimeConfig, cache wazero.CompilationCache) (*backend, error) {
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
	b := &backend{rt: rt}
	b.modules = newModuleCache(cfg.MaxCompiledModules, b.compile)
	return b, nil
}

func (b *backend) compile(ctx context.Context, bin []byte) (wazero.CompiledModule, error) {
	// Compilation is not interruptible; a context without cancellation
	// keeps one waiter's cancellation from failing the others sharing it.
	mod, err := b.rt.CompileModule(context.WithoutCancel(ctx), bin)
	if err != nil {
		return nil, fmt.Errorf("compile module: %w", err)
	}
	return mod, nil
}

func (b *backend) close(ctx context.Context) error {
	b.modules.closeAll()
	return b.rt.Close(ctx)
}

// backendFor picks where a module runs. With EngineAuto: compiled code
// when it is ready; otherwise the interpreter, and the optimizing compile
// starts in the background (one at a time, so a burst of new modules
// cannot take every CPU).
func (e *Engine) backendFor(bin []byte) *backend {
	if e.quick == nil || e.fast.modules.ready(bin) {
		return e.fast
	}
	select {
	case e.background <- struct{}{}:
		e.runs.Add(1) // Close waits for it like for a run
		go func() {
			defer e.runs.Done()
			defer func() { <-e.background }()
			if _, release, err := e.fast.modules.acquire(context.Background(), bin); err == nil {
				release()
			}
		}()
	default:
	}
	return e.quick
}

// Config returns the Engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Compilations reports how many times the Engine's main (compiling, unless
// EngineInterpreter) backend has compiled module bytes, that is, how often
// its compiled-module cache missed.
func (e *Engine) Compilations() uint64 { return e.fast.modules.compilations.Load() }

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
	return errors.Join(append(errs, e.cache.Close(ctx))...)
}
