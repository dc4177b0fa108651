package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/compiler/jail"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// app is the wired service and what must be closed with it.
type app struct {
	svc       *sandbox.Service
	jail      *jail.Jail
	jailState string
	engine    *wasmrt.Engine
	results   *cache.Store
	modules   *cache.Store
}

// newApp builds the service: the prepared toolchain, the compile jail (every
// compile goes through it), the wasm engine and the harnesses.
func newApp(ctx context.Context, cfg config.App) (*app, error) {
	m, err := toolchain.Load(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	// Leftovers of services that crashed (cgroups, job dirs); live ones,
	// such as a test run next to `make run`, are left alone.
	if err := jail.RecoverDead(cfg.Jail); err != nil {
		return nil, fmt.Errorf("compile jail recovery: %w", err)
	}
	policy := cfg.Jail.ForInstance(os.Getpid())
	policy.ReadOnlyPaths = append(append([]string{}, policy.ReadOnlyPaths...), m.ReadOnlyPaths()...)
	j, err := jail.New(policy)
	if err != nil {
		return nil, fmt.Errorf("compile jail: %w", err)
	}
	engine, err := wasmrt.New(ctx, cfg.Runtime)
	if err != nil {
		j.Close()
		return nil, fmt.Errorf("wasm engine: %w", err)
	}
	c := compiler.New(m, j, cfg.Compiler)
	svc := sandbox.NewService(cfg.Service, harnesses.Default(), c, engine)
	a := &app{svc: svc, jail: j, jailState: policy.StateDir, engine: engine}
	if a.results, err = cache.New(cfg.Cache.Results); err != nil {
		a.Close(ctx)
		return nil, err
	}
	if a.modules, err = cache.New(cfg.Cache.Modules); err != nil {
		a.Close(ctx)
		return nil, err
	}
	fp, err := fingerprint(cfg, m, j.Policy())
	if err != nil {
		a.Close(ctx)
		return nil, err
	}
	svc.UseCaches(a.results, a.modules, fp)
	return a, nil
}

// fingerprint names everything besides the request that decides a result:
// this binary (the service, every harness and its templates), the
// prepared toolchain, and the limits of compiles and runs. A cached value
// made under any other fingerprint is never used.
func fingerprint(cfg config.App, m *toolchain.Manifest, policy jail.Policy) (string, error) {
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
	limits, err := json.Marshal([]any{cfg.Runtime.MemoryLimitBytes, cfg.Runtime.TimeoutMS, cfg.Runtime.StdoutLimitBytes,
		cfg.Runtime.StderrLimitBytes, cfg.Service.CompileLimits, cfg.Compiler, policy.DefaultLimits, policy.MaxLimits})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "|%s|%s", m.Digest, limits)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (a *app) Close(ctx context.Context) {
	a.engine.Close(ctx)
	a.jail.Close()
	os.RemoveAll(a.jailState)
	for _, s := range []*cache.Store{a.results, a.modules} {
		if s != nil {
			s.Close()
		}
	}
}
