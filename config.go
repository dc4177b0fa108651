package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/compiler/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/server"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// appConfig is the whole configuration: plain data, every zero field
// taking its package's documented default. It is read from a JSON file
// (--config), then environment variables, then flags, later ones winning.
type appConfig struct {
	// Listen is the HTTP address (default 127.0.0.1:8080: loopback only).
	Listen string `json:"listen"`
	// StateDir holds the prepared toolchain (see toolchain.DefaultStateDir).
	StateDir string          `json:"state_dir"`
	Server   server.Config   `json:"server"`
	Service  sandbox.Config  `json:"service"`
	Compiler compiler.Config `json:"compiler"`
	Runtime  wasmrt.Config   `json:"runtime"`
	// Cache configures the memoized responses and the compiled modules.
	// Their disk tiers default to directories under StateDir.
	Cache struct {
		Results cache.Config `json:"results"`
		Modules cache.Config `json:"modules"`
	} `json:"cache"`
	// Jail is the compile jail's policy; its ReadOnlyPaths are always
	// extended with what the prepared toolchain needs.
	Jail jail.Policy `json:"jail"`
}

func defaultConfig() appConfig {
	return appConfig{
		Listen:   "127.0.0.1:8080",
		StateDir: toolchain.DefaultStateDir(),
		Runtime:  wasmrt.DefaultConfig(),
		Server:   server.DefaultConfig(),
	}
}

// env names the environment variables read, and what they set.
var envVars = []struct {
	name string
	set  func(*appConfig, string) error
}{
	{"ROCKET_SANDBOX_LISTEN", func(c *appConfig, v string) error { c.Listen = v; return nil }},
	{"ROCKET_SANDBOX_STATE_DIR", func(c *appConfig, v string) error { c.StateDir = v; return nil }},
	{"ROCKET_SANDBOX_RUN_TIMEOUT", func(c *appConfig, v string) error {
		d, err := time.ParseDuration(v)
		c.Runtime.Timeout = d
		return err
	}},
	{"ROCKET_SANDBOX_RUN_MEMORY_BYTES", func(c *appConfig, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		c.Runtime.MemoryLimitBytes = n
		return err
	}},
	{"ROCKET_SANDBOX_MAX_STUB_BYTES", func(c *appConfig, v string) error {
		n, err := strconv.Atoi(v)
		c.Service.MaxStubBytes = n
		return err
	}},
}

func loadConfig(path string) (appConfig, error) {
	cfg := defaultConfig()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return cfg, fmt.Errorf("config %s: %w", path, err)
		}
	}
	for _, e := range envVars {
		if v, ok := os.LookupEnv(e.name); ok {
			if err := e.set(&cfg, v); err != nil {
				return cfg, fmt.Errorf("%s=%q: %w", e.name, v, err)
			}
		}
	}
	// wazero's compiled code survives restarts next to the toolchain.
	if cfg.Runtime.CompilationCacheDir == "" {
		cfg.Runtime.CompilationCacheDir = filepath.Join(cfg.StateDir, "wazero-cache")
	}
	if cfg.Cache.Results.Dir == "" {
		cfg.Cache.Results.Dir = filepath.Join(cfg.StateDir, "cache", "results")
	}
	if cfg.Cache.Modules.Dir == "" {
		cfg.Cache.Modules.Dir = filepath.Join(cfg.StateDir, "cache", "modules")
	}
	// Modules are megabytes each: a few large shards, so one fits.
	if cfg.Cache.Modules.MemoryMB == 0 {
		cfg.Cache.Modules.MemoryMB = 256
	}
	if cfg.Cache.Modules.Shards == 0 {
		cfg.Cache.Modules.Shards = 8
	}
	return cfg, nil
}
