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
	cfg     Config
	cache   wazero.CompilationCache
	rt      wazero.Runtime
	modules *moduleCache

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
	if cfg.Engine == EngineCompiler && goruntime.GOARCH != "amd64" && goruntime.GOARCH != "arm64" {
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

	rc := wazero.NewRuntimeConfigCompiler()
	if cfg.Engine == EngineInterpreter {
		rc = wazero.NewRuntimeConfigInterpreter()
	}
	rc = rc.
		WithMemoryLimitPages(cfg.memoryLimitPages()).
		// Without it a guest in a loop cannot be stopped at all.
		WithCloseOnContextDone(true).
		WithCompilationCache(cache)
	rt := wazero.NewRuntimeWithConfig(ctx, rc)

	// The host modules are instantiated once per runtime: wazero names
	// modules uniquely per runtime, so concurrent runs could not each have
	// their own. Per-run state comes from the ModuleConfig (WASI) or the
	// call's context (vsock).
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return nil, errors.Join(fmt.Errorf("runtime: instantiate WASI: %w", err), rt.Close(ctx), cache.Close(ctx))
	}
	if err := instantiateVsock(ctx, rt); err != nil {
		return nil, errors.Join(err, rt.Close(ctx), cache.Close(ctx))
	}

	e := &Engine{cfg: cfg, cache: cache, rt: rt}
	e.modules = newModuleCache(cfg.MaxCompiledModules, e.compile)
	return e, nil
}

// Config returns the Engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Compilations reports how many times the Engine has compiled module bytes,
// that is, how often its compiled-module cache missed.
func (e *Engine) Compilations() uint64 { return e.modules.compilations.Load() }

func (e *Engine) compile(ctx context.Context, bin []byte) (wazero.CompiledModule, error) {
	// Compilation is not interruptible; a context without cancellation
	// keeps one waiter's cancellation from failing the others sharing it.
	mod, err := e.rt.CompileModule(context.WithoutCancel(ctx), bin)
	if err != nil {
		return nil, fmt.Errorf("compile module: %w", err)
	}
	return mod, nil
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
	e.modules.closeAll()
	return errors.Join(e.rt.Close(ctx), e.cache.Close(ctx))
}
