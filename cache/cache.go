// Package cache owns the service's content-addressed stores: a bounded
// in-memory tier (bigcache) in front of a persistent tier of files on
// disk that survives restarts, bounded in bytes with least-recently-used
// eviction, each file checksummed. Keys are hex digests chosen by the
// caller; values are opaque bytes. A value is never modified in place:
// the same key always names the same bytes.
package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
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
	// Redis is the tier replicas share (package rediscache), below
	// memory and disk.
	Redis Tier = "redis"
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
	// DiskBytes bounds the disk tier (default 1 GiB; 1 MiB..1 PiB): past
	// it the least recently used entries are removed.
	DiskBytes int64 `json:"disk_bytes"`
	// MaxValueBytes is the largest value stored (default 1 MiB; 1 B..1 GiB,
	// at most DiskBytes); a larger one is refused with ErrTooLarge and
	// stored in neither tier.
	MaxValueBytes int64 `json:"max_value_bytes"`
	// Disabled turns the store into a permanent miss.
	Disabled bool `json:"disabled"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{MemoryMB: 64, Shards: 16, DiskBytes: 1 << 30, MaxValueBytes: 1 << 20}
}

// Validate refuses sizes the tiers cannot have, naming each by its key.
func (c Config) Validate() error {
	var l check.List
	check.Range(&l, "memory_mb", c.MemoryMB, 1, 65536)
	check.Range(&l, "shards", c.Shards, 1, 1024)
	if c.Shards&(c.Shards-1) != 0 {
		l.Add("shards", "%d is not a power of two", c.Shards)
	}
	check.Range(&l, "disk_bytes", c.DiskBytes, 1<<20, 1<<50)
	check.Range(&l, "max_value_bytes", c.MaxValueBytes, 1, 1<<30)
	if c.MaxValueBytes > c.DiskBytes {
		l.Add("max_value_bytes", "%d is more than disk_bytes (%d)", c.MaxValueBytes, c.DiskBytes)
	}
	return l.Err()
}

func (c Config) withDefaults() Config {
	return check.WithDefaults(c, DefaultConfig())
}

// ErrTooLarge is returned by Put for a value over MaxValueBytes.
var ErrTooLarge = errors.New("cache: value over max_value_bytes")

// Store is a two-tier content-addressed store.
type Store struct {
	mem      *bigcache.BigCache
	disk     *disk // nil: memory only
	maxValue int64
	off      bool

	writeErrors atomic.Uint64
	// lastLogged rate-limits the log line of failed disk writes (a full
	// disk fails every write).
	lastLogged atomic.Int64
}

// New opens a store; its disk directory is created if missing and
// indexed, and entries that cannot be valid are removed.
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
	s := &Store{mem: mem, maxValue: cfg.MaxValueBytes}
	if cfg.Dir != "" {
		if s.disk, err = openDisk(cfg.Dir, cfg.DiskBytes, cfg.MaxValueBytes); err != nil {
			mem.Close()
			return nil, err
		}
	}
	return s, nil
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

// Get returns the value and the tier it came from, or Miss. A disk hit is
// verified against its checksum (a defective entry is removed and is a
// miss) and promoted to memory.
func (s *Store) Get(key string) ([]byte, Tier) {
	if s.off || !validKey(key) {
		return nil, Miss
	}
	if v, err := s.mem.Get(key); err == nil {
		if s.disk != nil {
			s.disk.touch(key) // in use: last to leave the disk
		}
		return v, Memory
	}
	if s.disk == nil {
		return nil, Miss
	}
	v, ok := s.disk.get(key)
	if !ok {
		return nil, Miss
	}
	_ = s.mem.Set(key, v) // too large for a shard: stays a disk-only value
	return v, Disk
}

// Put stores the value in both tiers; a value over MaxValueBytes is
// refused with ErrTooLarge. The disk write is atomic (a rename), so a
// crash or a full disk never leaves a torn value behind; a failed disk
// write is returned (it wraps the system's error, e.g. ENOSPC), counted
// in Usage and logged, and leaves the memory tier's copy.
func (s *Store) Put(key string, value []byte) error {
	if s.off {
		return nil
	}
	if !validKey(key) {
		return fmt.Errorf("cache: invalid key %q", key)
	}
	if int64(len(value)) > s.maxValue {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(value), s.maxValue)
	}
	memErr := s.mem.Set(key, value)
	if s.disk == nil {
		return memErr
	}
	if err := s.disk.put(key, value); err != nil {
		s.writeErrors.Add(1)
		s.logWriteError(err)
		return err
	}
	return nil
}

// logWriteError logs a failed disk write, at most once a minute.
func (s *Store) logWriteError(err error) {
	now := time.Now().Unix()
	last := s.lastLogged.Load()
	if now-last < 60 || !s.lastLogged.CompareAndSwap(last, now) {
		return
	}
	slog.Warn("cache: disk write failed; the value is kept in memory only", "dir", s.disk.dir, "err", err)
}

// Usage is what a store holds now, per tier.
type Usage struct {
	// MemoryBytes is what the memory tier has allocated.
	MemoryBytes int64
	// DiskBytes and DiskEntries are the disk tier's files (0 without one).
	DiskBytes   int64
	DiskEntries int
	// WriteErrors counts disk writes that failed since the store opened.
	WriteErrors uint64
}

// Usage reports the bytes per tier (for metrics).
func (s *Store) Usage() Usage {
	if s.off {
		return Usage{}
	}
	u := Usage{MemoryBytes: int64(s.mem.Capacity()), WriteErrors: s.writeErrors.Load()}
	if s.disk != nil {
		u.DiskBytes, u.DiskEntries = s.disk.usage()
	}
	return u
}

// Close releases the memory tier.
func (s *Store) Close() error {
	if s.off {
		return nil
	}
	return s.mem.Close()
}
