package main

import (
	"context"
	"fmt"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/compiler/jail"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// app is the wired service and what must be closed with it.
type app struct {
	svc    *sandbox.Service
	jail   *jail.Jail
	engine *wasmrt.Engine
}

// newApp builds the service: the prepared toolchain, the compile jail (every
// compile goes through it), the wasm engine and the harnesses.
func newApp(ctx context.Context, cfg appConfig) (*app, error) {
	m, err := toolchain.Load(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	policy := cfg.Jail
	policy.ReadOnlyPaths = append(append([]string{}, policy.ReadOnlyPaths...), m.ReadOnlyPaths()...)
	j, err := jail.New(policy)
	if err != nil {
		return nil, fmt.Errorf("compile jail: %w", err)
	}
	// Leftovers of a crashed earlier run (mounts, cgroups, job dirs).
	if err := j.Recover(); err != nil {
		j.Close()
		return nil, fmt.Errorf("compile jail recovery: %w", err)
	}
	engine, err := wasmrt.New(ctx, cfg.Runtime)
	if err != nil {
		j.Close()
		return nil, fmt.Errorf("wasm engine: %w", err)
	}
	c := compiler.New(m, j, cfg.Compiler)
	svc := sandbox.NewService(cfg.Service, harnesses.Default(), c, engine)
	return &app{svc: svc, jail: j, engine: engine}, nil
}

func (a *app) Close(ctx context.Context) {
	a.engine.Close(ctx)
	a.jail.Close()
}
