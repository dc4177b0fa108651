// Package cache owns the service's content-addressed stores: a bounded
// in-memory tier (bigcache) in front of a persistent tier of files on
// disk that survives restarts. Keys are hex digests chosen by the caller;
// values are opaque bytes. A value is never modified in place: the same
// key always names the same bytes.
package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/allegro/bigcache/v3"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
)

// Tier names where a value was found.
type Tier string

const (
	Miss   Tier = "miss"
	Memory Tier = "memory"
	Disk   Tier = "disk"
)

// Config configures one store: plain data, its defaults in
// DefaultConfig, checked by Validate. New reads a zero field as the
// default.
type Config struct {
	// MemoryMB bounds the in-memory tier, in MiB (default 64; 1..65536).
	// Set Disabled to turn the store off.
	MemoryMB int `json:"memory_mb"`
	// Shards of the in-memory tier: a power of two, 1..1024 (default 16).
	// A value must fit in one shard (MemoryMB/Shards), so stores of large
	// values want few shards.
	Shards int `json:"shards"`
	// Dir is the disk tier's directory; empty means memory only.
	Dir string `json:"dir"`
	// Disabled turns the store into a permanent miss.
	Disabled bool `json:"disabled"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{MemoryMB: 64, Shards: 16}
}

// Validate refuses sizes the memory tier cannot have, naming each by its
// key.
func (c Config) Validate() error {
	var l check.List
	check.Range(&l, "memory_mb", c.MemoryMB, 1, 65536)
	check.Range(&l, "shards", c.Shards, 1, 1024)
	if c.Shards&(c.Shards-1) != 0 {
		l.Add("shards", "%d is not a power of two", c.Shards)
	}
	return l.Err()
}

func (c Config) withDefaults() Config {
	return check.WithDefaults(c, DefaultConfig())
}

// Store is a two-tier content-addressed store.
type Store struct {
	mem *bigcache.BigCache
	dir string
	off bool
}

// New opens a store; its disk directory is created if missing.
func New(cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cache: bad config: %w", err)
	}
	if cfg.Disabled {
		return &Store{off: true}, nil
	}
	bc := bigcache.DefaultConfig(365 * 24 * time.Hour) // evicted by size, not age
	bc.Shards = cfg.Shards
	bc.HardMaxCacheSize = cfg.MemoryMB
	bc.MaxEntriesInWindow = 1024
	bc.MaxEntrySize = 4 << 10
	bc.CleanWindow = 0
	bc.Verbose = false
	mem, err := bigcache.New(context.Background(), bc)
	if err != nil {
		return nil, fmt.Errorf("cache: memory tier: %w", err)
	}
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("cache: disk tier: %w", err)
		}
	}
	return &Store{mem: mem, dir: cfg.Dir}, nil
}

// validKey accepts hex digests only, so a key can never name a path
// outside the store.
func validKey(key string) bool {
	if len(key) < 16 || len(key) > 128 {
		return false
	}
	for _, c := range key {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Store) path(key string) string { return filepath.Join(s.dir, key[:2], key) }

// Get returns the value and the tier it came from, or Miss. A disk hit is
// promoted to memory.
func (s *Store) Get(key string) ([]byte, Tier) {
	if s.off || !validKey(key) {
		return nil, Miss
	}
	if v, err := s.mem.Get(key); err == nil {
		return v, Memory
	}
	if s.dir == "" {
		return nil, Miss
	}
	v, err := os.ReadFile(s.path(key))
	if err != nil {
		return nil, Miss
	}
	_ = s.mem.Set(key, v) // too large for a shard: stays a disk-only value
	return v, Disk
}

// Put stores the value in both tiers. The disk write is atomic (a rename),
// so a crash never leaves a torn value behind.
func (s *Store) Put(key string, value []byte) error {
	if s.off {
		return nil
	}
	if !validKey(key) {
		return fmt.Errorf("cache: invalid key %q", key)
	}
	memErr := s.mem.Set(key, value)
	if s.dir == "" {
		return memErr
	}
	p := s.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	_, werr := tmp.Write(value)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: write %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Close releases the memory tier.
func (s *Store) Close() error {
	if s.off {
		return nil
	}
	return s.mem.Close()
}
