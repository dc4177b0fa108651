package cache

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const key = "0123456789abcdef0123456789abcdef"

func TestMemoryThenDiskAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{Dir: dir})
	require.NoError(t, err)
	v, tier := s.Get(key)
	assert.Equal(t, Miss, tier)
	assert.Nil(t, v)
	require.NoError(t, s.Put(key, []byte("value")))
	v, tier = s.Get(key)
	assert.Equal(t, Memory, tier)
	assert.Equal(t, "value", string(v))
	require.NoError(t, s.Close())

	// A new store over the same directory: a restart.
	s2, err := New(Config{Dir: dir})
	require.NoError(t, err)
	defer s2.Close()
	v, tier = s2.Get(key)
	assert.Equal(t, Disk, tier)
	assert.Equal(t, "value", string(v))
	_, tier = s2.Get(key)
	assert.Equal(t, Memory, tier, "a disk hit is promoted")
}

func TestLargeValuesLiveOnDisk(t *testing.T) {
	s, err := New(Config{MemoryMB: 16, Shards: 16, Dir: t.TempDir(), MaxValueBytes: 4 << 20})
	require.NoError(t, err)
	defer s.Close()
	big := bytes.Repeat([]byte("x"), 3<<20) // larger than one 1 MiB shard
	require.NoError(t, s.Put(key, big))
	v, tier := s.Get(key)
	assert.Equal(t, Disk, tier)
	assert.Equal(t, big, v)
}

func TestKeysCannotEscapeTheStore(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{Dir: dir})
	require.NoError(t, err)
	defer s.Close()
	for _, k := range []string{"../../etc/passwd", "ABCDEF0123456789", strings.Repeat("a", 200), "short"} {
		assert.Error(t, s.Put(k, []byte("x")), k)
		_, tier := s.Get(k)
		assert.Equal(t, Miss, tier, k)
	}
	entries, _ := os.ReadDir(dir)
	assert.Empty(t, entries)
	_, err = os.Stat(filepath.Join(dir, "..", "etc"))
	assert.True(t, os.IsNotExist(err))
}

func TestDisabledStoreAlwaysMisses(t *testing.T) {
	s, err := New(Config{Disabled: true})
	require.NoError(t, err)
	require.NoError(t, s.Put(key, []byte("v")))
	_, tier := s.Get(key)
	assert.Equal(t, Miss, tier)
}

func TestConfigValidation(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	require.Equal(t, DefaultConfig(), Config{}.withDefaults())
	for _, tc := range []struct {
		key string
		cfg Config
	}{
		{"memory_mb", Config{MemoryMB: -1, Shards: 16}},
		{"memory_mb", Config{MemoryMB: 65537, Shards: 16}},
		{"shards", Config{MemoryMB: 64, Shards: 0}},
		{"shards", Config{MemoryMB: 64, Shards: 12}},
		{"shards", Config{MemoryMB: 64, Shards: 2048}},
		{"disk_bytes", Config{MemoryMB: 64, Shards: 16, DiskBytes: 1000, MaxValueBytes: 1}},
		{"max_value_bytes", Config{MemoryMB: 64, Shards: 16, DiskBytes: 1 << 20, MaxValueBytes: 0}},
		{"max_value_bytes", Config{MemoryMB: 64, Shards: 16, DiskBytes: 1 << 20, MaxValueBytes: 2 << 20}},
	} {
		require.ErrorContains(t, tc.cfg.Validate(), tc.key+": ", "%+v", tc.cfg)
	}
	_, err := New(Config{Shards: 3})
	require.ErrorContains(t, err, "shards: 3 is not a power of two")
}
