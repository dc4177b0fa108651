// Package config owns the service's whole configuration as data: one
// section per package that owns it (server, service, compiler, runtime,
// cache, jail), their documented defaults (Default), the refusal of bad
// values by key path and allowed range (App.Validate), the strict reading
// of the JSON file with environment and flag overrides (Load), and which
// sections can change a result (App.ResultSections, for the cache
// fingerprint).
//
// docs/configuration.md is the operator's reference of every key.
package config

import (
	"net"
	"path/filepath"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/incremental"
	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/rediscache"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/server"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
	"github.com/rocket-sandbox/rocket-sandbox/worker"
)

// App is the whole configuration: plain data. Load reads it from a JSON
// file, then environment variables, then flags, later ones winning, on
// top of Default.
type App struct {
	// Listen is the HTTP address, host:port (default 127.0.0.1:8080:
	// loopback only).
	Listen string `json:"listen"`
	// StateDir holds the prepared toolchain (see toolchain.DefaultStateDir)
	// and, unless their keys say otherwise, the caches.
	StateDir string `json:"state_dir"`
	// GoMemoryLimitMB is the Go runtime's soft memory limit
	// (runtime/debug.SetMemoryLimit) of the process that holds the
	// caches (the front door, or serve without the split), MiB: the heap
	// collects harder as it nears it instead of growing to twice what is
	// live, which bounds the process's memory at the caches' budgets
	// (docs/operations.md, "Memory per node"). Without workers the engine's
	// modules are in that heap too, and their budgets are added
	// (GoMemoryLimitBytes). wazero's compiled code is mapped outside the Go
	// heap and is not counted. 0: no limit. The GOMEMLIMIT environment
	// variable, if set, wins. Default 200.
	GoMemoryLimitMB int             `json:"go_memory_limit_mb"`
	Server          server.Config   `json:"server"`
	Service         sandbox.Config  `json:"service"`
	Compiler        compiler.Config `json:"compiler"`
	Runtime         wasmrt.Config   `json:"runtime"`
	Cache           Caches          `json:"cache"`
	// Jail is the compile jail's policy; its ReadOnlyPaths are always
	// extended with what the prepared toolchain needs.
	Jail jail.Policy `json:"jail"`
	// Workers run the modules in jailed run workers instead of the
	// service's process (docs/security.md, "Process model").
	Workers worker.Config `json:"workers"`
	// FrontDoor splits serve into a root keeper and an unprivileged
	// front door (docs/security.md, "Process model").
	FrontDoor FrontDoor `json:"front_door"`
	// Incremental keeps each client's incremental compile directories
	// (requests with a session; docs/api.md, "Sessions"). Its directory
	// defaults to <state_dir>/incremental. It cannot change a result,
	// so it is not part of the fingerprint.
	Incremental incremental.Config `json:"incremental"`
}

// FrontDoor configures the privilege separation of serve.
type FrontDoor struct {
	// UID is the uid (and gid) the front door — HTTP, JSON, harnesses,
	// caches, result parsing — runs as, with no capabilities (an empty
	// bounding set too), no_new_privs and a seccomp filter; the root
	// process keeps only the keeper. Default DefaultFrontDoorUID; 0 is
	// the off switch: one root process, for debugging. It must be
	// neither root's nor the jail's uid, and needs workers.enabled (the
	// front door runs no guest itself).
	UID int `json:"uid"`
	// DataDir holds the front door's writable directories — the
	// results, modules and shares stores whose own keys are empty — when
	// the split is on (default /var/lib/rocket-sandbox): the state dir
	// under /root is not reachable by the front door's uid. Absolute.
	DataDir string `json:"data_dir"`
}

// The front door's defaults (docs/security.md, "Process model"): a uid
// and gid of its own, in the range Debian policy (9.2.2) reserves,
// 65000-65533, so no package or administrator allocates it and no
// account's files or processes share it (65534, nobody, is the jail's);
// and an FHS data directory outside /root.
const (
	DefaultFrontDoorUID     = 65533
	DefaultFrontDoorDataDir = "/var/lib/rocket-sandbox"
)

// Caches configures the memoized responses, the compiled modules and the
// shared playground states. Their disk tiers default to directories under
// StateDir. Redis, when its URL is set, is the tier below the first two
// that replicas share.
type Caches struct {
	Results cache.Config      `json:"results"`
	Modules cache.Config      `json:"modules"`
	Redis   rediscache.Config `json:"redis"`
	// Shares keeps the states behind share links (POST /api/v1/shares),
	// bounded in bytes like the caches: a link whose state was evicted
	// answers 404. Its disk tier defaults to <state_dir>/shares, apart
	// from the caches, which an operator may clear at will. It is local
	// to each replica.
	Shares cache.Config `json:"shares"`
}

// Default returns every section's documented defaults.
func Default() App {
	modules := cache.DefaultConfig()
	// Modules are megabytes each: a few large shards, so one fits; a
	// value holds a module up to compiler.max_module_bytes and its
	// diagnostics. The memory tier is small: a run of a module the
	// engine holds compiled reads only the compile's record, so module
	// bytes are read after a restart or an eviction, from disk if not
	// here (docs/performance.md, memory per node).
	modules.MemoryMB, modules.Shards = 32, 4
	modules.DiskBytes, modules.MaxValueBytes = 4<<30, 32<<20
	// A state is a request's size at most (a 64 KiB stub, its args).
	shares := cache.DefaultConfig()
	shares.MemoryMB, shares.DiskBytes = 16, 256<<20
	return App{
		Listen:   "127.0.0.1:8080",
		StateDir: toolchain.DefaultStateDir(),
		// The memory tiers (64 + 32 + 16 MiB), the recall index (8), the
		// binary's own data and the requests in flight (about 20), with
		// room for the collector: the front door's budget in
		// docs/operations.md, "Memory per node".
		GoMemoryLimitMB: 200,
		Server:          server.DefaultConfig(),
		Service:         sandbox.DefaultConfig(),
		Compiler:        compiler.DefaultConfig(),
		Runtime:         wasmrt.DefaultConfig(),
		Cache:           Caches{Results: cache.DefaultConfig(), Modules: modules, Redis: rediscache.DefaultConfig(), Shares: shares},
		Jail:            jail.DefaultPolicy(),
		Workers:         worker.DefaultConfig(),
		FrontDoor:       FrontDoor{UID: DefaultFrontDoorUID, DataDir: DefaultFrontDoorDataDir},

		Incremental: incremental.DefaultConfig(),
	}
}

// Validate refuses every bad value, each named by its key path and what
// it must be, so that nothing is built from a bad configuration.
func (c App) Validate() error {
	var l check.List
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		l.Add("listen", "%q is not host:port", c.Listen)
	}
	if c.StateDir == "" {
		l.Add("state_dir", "must not be empty")
	}
	if c.GoMemoryLimitMB != 0 {
		// Below what the caches hold at their budgets, the collector
		// would run without end.
		floor := c.Cache.Results.MemoryMB + c.Cache.Modules.MemoryMB + c.Cache.Shares.MemoryMB + c.Server.RecallBytes>>20 + 64
		switch {
		case c.GoMemoryLimitMB < 0 || c.GoMemoryLimitMB > 1<<20:
			l.Add("go_memory_limit_mb", "%d is out of range 0..%d", c.GoMemoryLimitMB, 1<<20)
		case c.GoMemoryLimitMB < floor:
			l.Add("go_memory_limit_mb", "%d is less than the memory tiers (cache.results, cache.modules, cache.shares), server.recall_bytes and 64 MiB together (%d): the collector would never stop", c.GoMemoryLimitMB, floor)
		}
	}
	l.Nest("server", c.Server.Validate())
	l.Nest("service", c.Service.Validate())
	// The jail would silently lower a compile limit above its maximum.
	l.Nest("service.compile_limits", c.Service.CompileLimits.Validate(c.Jail.MaxLimits))
	l.Nest("service.format_limits", c.Service.FormatLimits.Validate(c.Jail.MaxLimits))
	c.validateRequestLimits(&l)
	l.Nest("compiler", c.Compiler.Validate())
	// A module over the jail's collect limit never comes out of the jail.
	if c.Compiler.MaxModuleBytes > c.Jail.MaxCollectFileBytes && c.Jail.MaxCollectFileBytes > 0 {
		l.Add("compiler.max_module_bytes", "%d is more than jail.max_collect_file_bytes (%d)", c.Compiler.MaxModuleBytes, c.Jail.MaxCollectFileBytes)
	}
	l.Nest("runtime", c.Runtime.Validate())
	l.Nest("cache.results", c.Cache.Results.Validate())
	l.Nest("cache.modules", c.Cache.Modules.Validate())
	l.Nest("cache.shares", c.Cache.Shares.Validate())
	l.Nest("cache.redis", c.Cache.Redis.Validate())
	// A module shared through Redis must fit there.
	if c.Cache.Redis.Enabled() && c.Cache.Redis.MaxValueBytes < c.Cache.Modules.MaxValueBytes {
		l.Add("cache.redis.max_value_bytes", "%d is less than cache.modules.max_value_bytes (%d): modules could not be shared", c.Cache.Redis.MaxValueBytes, c.Cache.Modules.MaxValueBytes)
	}
	l.Nest("jail", c.Jail.Validate())
	l.Nest("workers", c.Workers.Validate())
	l.Nest("incremental", c.Incremental.Validate())
	if c.FrontDoor.UID != 0 {
		check.Range(&l, "front_door.uid", c.FrontDoor.UID, 1, 1<<31-1)
		if c.FrontDoor.UID == c.Jail.UID {
			l.Add("front_door.uid", "%d is the jail's uid (jail.uid): the front door must not share it with untrusted jobs", c.FrontDoor.UID)
		}
		if !c.Workers.Enabled {
			l.Add("front_door.uid", "needs workers.enabled: the front door runs no guest itself (set front_door.uid to 0 to run without the split)")
		}
		if !filepath.IsAbs(c.FrontDoor.DataDir) {
			l.Add("front_door.data_dir", "%q must be an absolute path", c.FrontDoor.DataDir)
		}
	}
	return l.Err()
}

// DefaultLimits are the limits a request runs under unless it asks for
// others: the runtime's, and the compile's (service.compile_limits, else
// the jail's default limits, within the jail's maxima).
func (c App) DefaultLimits() sandbox.Limits {
	rt := c.Runtime
	maxL := jail.ClampLimits(c.Jail.MaxLimits, jail.MaxLimits(), jail.LimitCeilings())
	compile := jail.ClampLimits(c.Service.CompileLimits, jail.ClampLimits(c.Jail.DefaultLimits, jail.DefaultLimits(), maxL), maxL)
	return sandbox.Limits{RunTimeoutMS: rt.TimeoutMS, MemoryBytes: rt.MemoryLimitBytes - rt.MemoryLimitBytes%(64<<10),
		StdoutBytes: rt.StdoutLimitBytes, StderrBytes: rt.StderrLimitBytes,
		CompileWallTimeMS: compile.WallTimeMS, CompileMemoryBytes: compile.MemoryBytes}
}

// validateRequestLimits refuses a maximum under its default, and a
// compile maximum over the jail's.
func (c App) validateRequestLimits(l *check.List) {
	def, m := c.DefaultLimits(), c.Service.MaxRequestLimits
	jailMax := jail.ClampLimits(c.Jail.MaxLimits, jail.MaxLimits(), jail.LimitCeilings())
	defaults := map[string]string{"run_timeout_ms": "runtime.timeout_ms", "memory_bytes": "runtime.memory_limit_bytes",
		"stdout_bytes": "runtime.stdout_limit_bytes", "stderr_bytes": "runtime.stderr_limit_bytes",
		"compile_wall_time_ms": "the compile's wall_time_ms", "compile_memory_bytes": "the compile's memory_bytes"}
	mf, df := m.Fields(), def.Fields()
	for i := range mf {
		if v := *mf[i].Value; v != 0 && v < *df[i].Value {
			l.Add("service.max_request_limits."+mf[i].Key, "%d is less than its default, %s (%d)", v, defaults[mf[i].Key], *df[i].Value)
		}
	}
	if m.CompileWallTimeMS > jailMax.WallTimeMS {
		l.Add("service.max_request_limits.compile_wall_time_ms", "%d is more than jail.max_limits.wall_time_ms (%d)", m.CompileWallTimeMS, jailMax.WallTimeMS)
	}
	if m.CompileMemoryBytes > jailMax.MemoryBytes {
		l.Add("service.max_request_limits.compile_memory_bytes", "%d is more than jail.max_limits.memory_bytes (%d)", m.CompileMemoryBytes, jailMax.MemoryBytes)
	}
}

// EngineConfig is the runtime section with each run limit raised to the
// most a request may ask for (service.max_request_limits): the engine
// lowers its limits per job, never raises them, and the service gives
// every job its limits.
func (c App) EngineConfig() wasmrt.Config {
	rt := c.Runtime
	m := c.Service.MaxRequestLimits
	rt.TimeoutMS = max(rt.TimeoutMS, m.RunTimeoutMS)
	rt.MemoryLimitBytes = max(rt.MemoryLimitBytes, m.MemoryBytes)
	rt.StdoutLimitBytes = max(rt.StdoutLimitBytes, m.StdoutBytes)
	rt.StderrLimitBytes = max(rt.StderrLimitBytes, m.StderrBytes)
	return rt
}

// GoMemoryLimitBytes is the Go memory limit of the process that holds
// the caches, bytes (0: none): go_memory_limit_mb, plus, when modules run
// in that process (workers off), the engine's budgets for compiled
// modules, whose Go-side structures (all of an interpreted module) are
// in the same heap.
func (c App) GoMemoryLimitBytes() int64 {
	if c.GoMemoryLimitMB == 0 {
		return 0
	}
	limit := int64(c.GoMemoryLimitMB) << 20
	if !c.Workers.Enabled {
		rt := check.WithDefaults(c.Runtime, wasmrt.DefaultConfig())
		backends := int64(1)
		if rt.Engine == wasmrt.EngineAuto {
			backends = 2
		}
		limit += backends * rt.CompiledModulesBytes
	}
	return limit
}

// CachesIn places every store the service writes (results, modules,
// shares, wazero's compiled code) under dir, leaving the prepared
// toolchain where it is: what a test wants to start from nothing and
// leave nothing.
func (c *App) CachesIn(dir string) {
	c.Cache.Results.Dir = filepath.Join(dir, "results")
	c.Cache.Modules.Dir = filepath.Join(dir, "modules")
	c.Cache.Shares.Dir = filepath.Join(dir, "shares")
	c.Runtime.CompilationCacheDir = filepath.Join(dir, "wazero")
	c.Incremental.Dir = filepath.Join(dir, "incremental")
}

// resolve fills in what follows from other keys: the directories left
// empty, under StateDir or, with the split, front_door.data_dir; and the hosts served, from the listen address.
func (c *App) resolve() {
	// A loopback service answers only for the names it is reached by
	// from this machine: anything else in Host is a page rebinding a
	// name of its own (docs/security.md).
	if len(c.Server.AllowedHosts) == 0 {
		c.Server.AllowedHosts = server.DefaultAllowedHosts(c.Listen)
	}
	// wazero's compiled code survives restarts next to the toolchain.
	if c.Runtime.CompilationCacheDir == "" {
		c.Runtime.CompilationCacheDir = filepath.Join(c.StateDir, "wazero-cache")
	}
	// The stores are the front door's when the split is on: under its
	// data dir, which its uid can reach.
	stores := c.StateDir
	if c.FrontDoor.UID != 0 {
		stores = c.FrontDoor.DataDir
	}
	if c.Cache.Results.Dir == "" {
		c.Cache.Results.Dir = filepath.Join(stores, "cache", "results")
	}
	if c.Cache.Modules.Dir == "" {
		c.Cache.Modules.Dir = filepath.Join(stores, "cache", "modules")
	}
	if c.Cache.Shares.Dir == "" {
		c.Cache.Shares.Dir = filepath.Join(stores, "shares")
	}
	if c.Incremental.Dir == "" {
		c.Incremental.Dir = filepath.Join(c.StateDir, "incremental")
	}
}
