package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
)

// FreshApp starts the service in this process (app.New) with the default
// configuration and empty caches in a temporary directory (so a cold
// figure is cold), for benchmarks that put their own servers in front of
// it. stop closes it and removes the caches.
func FreshApp(ctx context.Context, name string) (a *app.App, cfg config.App, stop func(), err error) {
	cfg, err = config.Load("")
	if err != nil {
		return nil, cfg, nil, err
	}
	dir, err := os.MkdirTemp("", name+"-")
	if err != nil {
		return nil, cfg, nil, err
	}
	cfg.Cache.Results.Dir = filepath.Join(dir, "results")
	cfg.Cache.Modules.Dir = filepath.Join(dir, "modules")
	cfg.Runtime.CompilationCacheDir = filepath.Join(dir, "wazero")
	a, err = app.New(ctx, cfg)
	if err != nil {
		os.RemoveAll(dir)
		return nil, cfg, nil, fmt.Errorf("start the service (did `make setup` run?): %w", err)
	}
	return a, cfg, func() { a.Close(ctx); os.RemoveAll(dir) }, nil
}
