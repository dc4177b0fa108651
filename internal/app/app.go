// Package app wires the service from a validated configuration: the
// prepared toolchain, the compile jail (every compile goes through it), the
// wasm engine, the caches and the harnesses. The binary's commands and the
// end-to-end tests build it through New; the parity tool builds the native
// reference beside it through Reference.
package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	goruntime "runtime"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/incremental"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/keeper"
	"github.com/rocket-sandbox/rocket-sandbox/metrics"
	"github.com/rocket-sandbox/rocket-sandbox/rediscache"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/runtime/native"
	"github.com/rocket-sandbox/rocket-sandbox/rustfmt"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
	"github.com/rocket-sandbox/rocket-sandbox/worker"
)

// App is the wired service and what must be closed with it.
type App struct {
	svc       *sandbox.Service
	jail      *jail.Jail
	jailState string
	// incr keeps the clients' incremental compile directories, on the
	// jail's side (nil: disabled).
	incr *incremental.Store
	// Modules run either in process (engine) or in run workers (workers).
	engine  *wasmrt.Engine
	workers *worker.Pool
	results *cache.Store
	modules *cache.Store
	shares  *cache.Store
	shared  *rediscache.Client // nil: a single node
	metrics *metrics.Metrics
}

// New builds the service from a validated configuration: the prepared
// toolchain, the compile jail (every compile goes through it), the wasm
// engine, the caches and the harnesses, and then the service from all of
// them at once.
func New(ctx context.Context, cfg config.App) (*App, error) {
	a := &App{}
	m, fp, err := a.prepare(cfg)
	if err != nil {
		return nil, err
	}
	return a.build(ctx, cfg, m, fp, &incremental.Runner{Next: a.jail, Store: a.incr}, worker.InJail(a.jail))
}

// prepare does what needs root and the state dir: the manifest, the
// fingerprint, the compile jail.
func (a *App) prepare(cfg config.App) (*toolchain.Manifest, string, error) {
	m, err := toolchain.Load(cfg.StateDir)
	if err != nil {
		return nil, "", err
	}
	fp, err := fingerprint(cfg, m)
	if err != nil {
		return nil, "", err
	}
	// Leftovers of services that crashed (cgroups, job dirs); live ones,
	// such as a test run next to `make run`, are left alone.
	if err := jail.RecoverDead(cfg.Jail); err != nil {
		return nil, "", fmt.Errorf("compile jail recovery: %w", err)
	}
	policy := cfg.Jail.ForInstance(os.Getpid())
	policy.ReadOnlyPaths = append(append([]string{}, policy.ReadOnlyPaths...), m.ReadOnlyPaths()...)
	if a.jail, err = jail.New(policy); err != nil {
		return nil, "", fmt.Errorf("compile jail: %w", err)
	}
	a.jailState = policy.StateDir
	if !cfg.Incremental.Disabled {
		ic := cfg.Incremental
		if ic.Dir == "" {
			ic.Dir = filepath.Join(cfg.StateDir, "incremental")
		}
		if a.incr, err = incremental.Open(ic); err != nil {
			return nil, "", err
		}
	}
	return m, fp, nil
}

// Keeper is the privileged half of the split service (front_door.uid):
// the compile jail and a keeper that acts only on the requests its
// policy allows. Close releases the jail.
type Keeper struct {
	*keeper.Keeper
	// Manifest and Fingerprint are sent to the front door, which
	// reads neither the state dir nor the binary.
	Manifest    *toolchain.Manifest
	Fingerprint string
	app         App
}

// NewKeeper prepares what the keeper needs from cfg: the manifest, the
// fingerprint and the compile jail, and its policy: rustc only, input
// files bounded by the request body's cap (keeper.NewPolicy), the jail's
// max_limits, workers jailed as worker.Resident says.
func NewKeeper(cfg config.App) (*Keeper, error) {
	k := &Keeper{}
	m, fp, err := k.app.prepare(cfg)
	if err != nil {
		return nil, err
	}
	res := worker.Resident(cfg.Workers, cfg.EngineConfig(), cfg.Compiler.MaxModuleBytes)
	k.Keeper = &keeper.Keeper{
		Policy:      keeper.NewPolicy([]string{m.Rustc, toolchain.Rustfmt, toolchain.ClippyDriver}, int64(cfg.Server.MaxBodyBytes), k.app.jail.Policy().MaxLimits, res.Entry),
		Jail:        k.app.jail,
		Incremental: k.app.incr,
		Starter:     worker.InJail(k.app.jail),
		Resident:    res,
	}
	k.Manifest, k.Fingerprint = m, fp
	return k, nil
}

// Close releases the compile jail.
func (k *Keeper) Close() { k.app.Close(context.Background()) }

// NewFrontDoor builds the unprivileged half of the split service: the
// same service as New, whose compiles and workers are the keeper's (c),
// from the manifest and fingerprint the keeper sent.
func NewFrontDoor(ctx context.Context, cfg config.App, m *toolchain.Manifest, fp string, c *keeper.Client) (*App, error) {
	return (&App{}).build(ctx, cfg, m, fp, c, c)
}

// build builds the service on a compile runner and a worker starter.
func (a *App) build(ctx context.Context, cfg config.App, m *toolchain.Manifest, fp string, runner compiler.Runner, starter worker.Starter) (*App, error) {
	var err error
	// The engine allows the most a request may ask for; every job says
	// its own limits (the defaults unless the request asked).
	var engine sandbox.Engine
	if cfg.Workers.Enabled {
		wc := cfg.Workers
		if wc.Count == 0 {
			slots := cfg.Service.MaxConcurrent
			if slots == 0 {
				slots = sandbox.DefaultConfig().MaxConcurrent
			}
			wc.Count = worker.DefaultCount(slots, goruntime.NumCPU())
		}
		if a.workers, err = worker.New(wc, cfg.EngineConfig(), cfg.Compiler.MaxModuleBytes, starter, nil); err != nil {
			a.Close(ctx)
			return nil, fmt.Errorf("run workers: %w", err)
		}
		engine = a.workers
	} else {
		if a.engine, err = wasmrt.New(ctx, cfg.EngineConfig()); err != nil {
			a.Close(ctx)
			return nil, fmt.Errorf("wasm engine: %w", err)
		}
		engine = a.engine
	}
	if a.results, err = cache.New(cfg.Cache.Results); err != nil {
		a.Close(ctx)
		return nil, err
	}
	if a.modules, err = cache.New(cfg.Cache.Modules); err != nil {
		a.Close(ctx)
		return nil, err
	}
	profile, err := harnesses.Profile(m.Externs)
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	if a.shares, err = cache.New(cfg.Cache.Shares); err != nil {
		a.Close(ctx)
		return nil, err
	}
	met := a.observe()
	deps := sandbox.Deps{
		Harnesses:   harnesses.Default(),
		Profile:     profile,
		Compiler:    met.Compiler(compiler.New(m, m.Wasm(), met.Runner(runner), cfg.Compiler)),
		Engine:      met.Engine(engine),
		Results:     met.Store("result", a.results),
		Modules:     met.Store("module", a.modules),
		Shares:      a.shares,
		Formatter:   rustfmt.New(toolchain.Rustfmt, met.Runner(runner)),
		Fingerprint: fp,
		Queue:       met,
		Limits:      cfg.DefaultLimits(),
	}
	if cfg.Cache.Redis.Enabled() {
		// Redis not answering is no reason to refuse to start: the
		// client starts degraded and the service runs on its local tiers.
		if a.shared, err = rediscache.New(cfg.Cache.Redis); err != nil {
			a.Close(ctx)
			return nil, err
		}
		deps.Shared = met.Shared(a.shared)
		met.SharedEvents(func() map[string]uint64 {
			st := a.shared.Stats()
			return map[string]uint64{metrics.SharedRejected: st.Rejected, metrics.SharedError: st.Errors,
				metrics.SharedLead: st.Leads, metrics.SharedWait: st.Waits, metrics.SharedTakeover: st.Takeovers}
		})
	}
	a.svc, err = sandbox.NewService(cfg.Service, deps)
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	return a, nil
}

// fingerprint names everything besides the request that decides a result:
// this binary (the service, every harness and its templates), the
// prepared toolchain, and the configuration sections that can change a
// result (config.App.ResultSections says which, and why the others are
// left out). A cached value made under any other fingerprint is never
// used.
func fingerprint(cfg config.App, m *toolchain.Manifest) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	sections, err := cfg.ResultSections()
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	fmt.Fprintf(h, "|%s|%s", m.Digest, sections)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// observe makes the service's metrics and hooks them into the parts
// that are not decorated at the service's seams.
func (a *App) observe() *metrics.Metrics {
	a.metrics = metrics.New()
	if a.workers != nil { // their results report their compiles and caches
		a.workers.ObserveCompiles(a.metrics)
		a.metrics.CacheBytes("wasm", func() map[string]int64 {
			return map[string]int64{"memory": a.workers.CacheUsage().CompiledModulesBytes}
		})
	}
	if a.engine != nil {
		a.engine.ObserveCompiles(a.metrics)
		a.metrics.CacheBytes("wasm", func() map[string]int64 {
			u := a.engine.CacheUsage()
			return map[string]int64{"memory": u.CompiledModulesBytes, "disk": u.CompilationCacheBytes}
		})
	}
	for name, st := range map[string]*cache.Store{"result": a.results, "module": a.modules} {
		a.metrics.CacheBytes(name, func() map[string]int64 {
			u := st.Usage()
			return map[string]int64{"memory": u.MemoryBytes, "disk": u.DiskBytes}
		})
	}
	return a.metrics
}

// Metrics are the service's metrics, for the server's /metrics.
func (a *App) Metrics() *metrics.Metrics { return a.metrics }

// Workers is the pool of run workers, or nil when modules run in process.
func (a *App) Workers() *worker.Pool { return a.workers }

// Shared is the tier replicas share, or nil on a single node (for
// metrics).
func (a *App) Shared() *rediscache.Client { return a.shared }

// Service is the wired service.
func (a *App) Service() *sandbox.Service { return a.svc }

// Close releases whatever New got as far as building.
func (a *App) Close(ctx context.Context) {
	if a.engine != nil {
		a.engine.Close(ctx)
	}
	if a.workers != nil {
		a.workers.Close()
	}
	if a.jail != nil {
		a.jail.Close()
		os.RemoveAll(a.jailState)
	}
	if a.shared != nil {
		a.shared.Close()
	}
	for _, s := range []*cache.Store{a.results, a.modules, a.shares} {
		if s != nil {
			s.Close()
		}
	}
}

// Reference builds the same service over the native reference: stubs
// compiled for the host against the native build of the dependency profile
// (toolchain.Manifest.Native), outside the jail, and run by runtime/native
// on the host, with no caches. It exists so the parity tool can put one
// table of inputs through both services; it is not a sandbox, and only
// trusted inputs (the guide's blocks) may be given to it.
func Reference(cfg config.App) (*sandbox.Service, error) {
	m, err := toolchain.Load(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	b, err := m.Native()
	if err != nil {
		return nil, err
	}
	profile, err := harnesses.Profile(m.NativeExterns)
	if err != nil {
		return nil, err
	}
	return sandbox.NewService(cfg.Service, sandbox.Deps{
		Harnesses: harnesses.Default(),
		Profile:   profile,
		Compiler:  compiler.New(m, b, &jail.Host{}, cfg.Compiler),
		Engine:    &native.Engine{Timeout: cfg.Runtime.Timeout()},
	})
}
