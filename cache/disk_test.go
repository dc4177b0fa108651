package cache

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func keyN(n int) string { return fmt.Sprintf("%032x", n+1) }

// A tier over its byte budget removes the least recently used entries,
// where a use is a read from either tier; the order and the budget hold
// across a restart.
func TestDiskTierEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir, DiskBytes: 1 << 20, MaxValueBytes: 300 << 10}
	s, err := New(cfg)
	require.NoError(t, err)
	value := func(n int) []byte { return bytes.Repeat([]byte{byte(n)}, 300<<10) }
	for n := range 3 {
		require.NoError(t, s.Put(keyN(n), value(n)))
	}
	_, tier := s.Get(keyN(0)) // 0 is used: 1 is now the least recent
	require.Equal(t, Memory, tier)
	require.NoError(t, s.Put(keyN(3), value(3)))
	u := s.Usage()
	assert.LessOrEqual(t, u.DiskBytes, cfg.DiskBytes)
	assert.Equal(t, 3, u.DiskEntries)
	require.NoError(t, s.Close())

	s, err = New(cfg) // a restart: only the disk tier remains
	require.NoError(t, err)
	for n, want := range []Tier{Disk, Miss, Disk, Disk} {
		v, tier := s.Get(keyN(n))
		assert.Equal(t, want, tier, "entry %d", n)
		if want == Disk {
			assert.Equal(t, value(n), v)
		}
	}
	_, err = os.Stat(filepath.Join(dir, keyN(1)[:2], keyN(1)))
	assert.True(t, os.IsNotExist(err), "the evicted entry's file is gone")

	// Across the restart the order is kept, and reads of the memory
	// tier count: 2 is now the least recently used.
	_, _ = s.Get(keyN(3))
	_, _ = s.Get(keyN(0))
	require.NoError(t, s.Put(keyN(4), value(4)))
	_, err = os.Stat(filepath.Join(dir, keyN(2)[:2], keyN(2)))
	assert.True(t, os.IsNotExist(err), "2 left the disk")
	assert.LessOrEqual(t, s.Usage().DiskBytes, cfg.DiskBytes)
	require.NoError(t, s.Close())
}

// A store opened with a smaller budget than its directory holds evicts
// down to it, keeping the most recently used.
func TestDiskTierShrinksToItsBudgetAtOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{Dir: dir, DiskBytes: 4 << 20})
	require.NoError(t, err)
	for n := range 5 {
		require.NoError(t, s.Put(keyN(n), bytes.Repeat([]byte{1}, 300<<10)))
	}
	_, _ = s.Get(keyN(0))
	require.NoError(t, s.mem.Reset())
	_, tier := s.Get(keyN(0)) // a disk hit refreshes the file's time
	require.Equal(t, Disk, tier)
	require.NoError(t, s.Close())

	s, err = New(Config{Dir: dir, DiskBytes: 1 << 20})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, 3, s.Usage().DiskEntries)
	for n, want := range []Tier{Disk, Miss, Miss, Disk, Disk} {
		_, tier := s.Get(keyN(n))
		assert.Equal(t, want, tier, "entry %d", n)
	}
}

// A value over max_value_bytes is refused and stored nowhere.
func TestValuesOverTheCapAreNotStored(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Config{Dir: dir, MaxValueBytes: 1000})
	require.NoError(t, err)
	defer s.Close()
	require.ErrorIs(t, s.Put(key, make([]byte, 1001)), ErrTooLarge)
	_, tier := s.Get(key)
	assert.Equal(t, Miss, tier)
	assert.Zero(t, s.Usage().DiskEntries)
	require.NoError(t, s.Put(key, make([]byte, 1000)))
	_, tier = s.Get(key)
	assert.Equal(t, Memory, tier)
}

// corruptions are the ways an entry file can go wrong on disk, each
// applied to the file at p (whose key is k; other is a valid entry).
var corruptions = map[string]func(t *testing.T, p, other string){
	"flipped byte": func(t *testing.T, p, _ string) {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		b[len(b)-1] ^= 0x01
		require.NoError(t, os.WriteFile(p, b, 0o600))
	},
	"flipped checksum": func(t *testing.T, p, _ string) {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		b[len(fileMagic)] ^= 0x80
		require.NoError(t, os.WriteFile(p, b, 0o600))
	},
	"truncated": func(t *testing.T, p, _ string) {
		info, err := os.Stat(p)
		require.NoError(t, err)
		require.NoError(t, os.Truncate(p, info.Size()/2))
	},
	"truncated to the header": func(t *testing.T, p, _ string) {
		require.NoError(t, os.Truncate(p, int64(headerSize)-1))
	},
	"empty": func(t *testing.T, p, _ string) {
		require.NoError(t, os.Truncate(p, 0))
	},
	"grown": func(t *testing.T, p, _ string) {
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		require.NoError(t, err)
		_, err = f.Write([]byte("more"))
		require.NoError(t, err)
		require.NoError(t, f.Close())
	},
	"directory": func(t *testing.T, p, _ string) {
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.MkdirAll(filepath.Join(p, "inside"), 0o700))
	},
	"symlink to another entry": func(t *testing.T, p, other string) {
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.Symlink(other, p))
	},
	"symlink outside": func(t *testing.T, p, _ string) {
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.Symlink("/etc/passwd", p))
	},
	"dangling symlink": func(t *testing.T, p, _ string) {
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.Symlink("/nonexistent", p))
	},
	"fifo": func(t *testing.T, p, _ string) {
		require.NoError(t, os.Remove(p))
		require.NoError(t, syscall.Mkfifo(p, 0o600))
	},
	"another entry's file": func(t *testing.T, p, other string) {
		b, err := os.ReadFile(other)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, b, 0o600))
	},
}

// A corrupted entry is never served: it is a miss, its file is removed,
// and a later Put stores the value again. Checked on a read by a running
// store (after its memory tier lost the value) and on a store opened
// over the corrupted directory.
func TestCorruptEntriesAreMissesAndRemoved(t *testing.T) {
	for name, corrupt := range corruptions {
		for _, when := range []string{"running", "restart"} {
			t.Run(name+"/"+when, func(t *testing.T) {
				dir := t.TempDir()
				cfg := Config{Dir: dir, MemoryMB: 1, Shards: 1}
				s, err := New(cfg)
				require.NoError(t, err)
				other := keyN(7)
				require.NoError(t, s.Put(key, []byte("the value")))
				require.NoError(t, s.Put(other, []byte("another value")))
				p := filepath.Join(dir, key[:2], key)
				if when == "restart" {
					require.NoError(t, s.Close())
					corrupt(t, p, filepath.Join(dir, other[:2], other))
					s, err = New(cfg)
					require.NoError(t, err)
				} else {
					require.NoError(t, s.mem.Reset()) // only the disk has it
					corrupt(t, p, filepath.Join(dir, other[:2], other))
				}
				defer s.Close()
				v, tier := s.Get(key)
				assert.Equal(t, Miss, tier)
				assert.Nil(t, v)
				_, err = os.Lstat(p)
				assert.True(t, os.IsNotExist(err), "the corrupt entry is removed")
				v, tier = s.Get(other)
				assert.Equal(t, Disk, tier, "the other entry is intact")
				assert.Equal(t, "another value", string(v))
				_, err = os.Stat("/etc/passwd")
				assert.NoError(t, err, "a symlink's target is never touched")

				require.NoError(t, s.Put(key, []byte("the value")))
				require.NoError(t, s.mem.Reset())
				v, tier = s.Get(key)
				assert.Equal(t, Disk, tier)
				assert.Equal(t, "the value", string(v))
			})
		}
	}
}

// A shard directory replaced by a symlink or a file is not followed: the
// store removes it and writes inside its own directory.
func TestShardDirectoryReplacedBySymlink(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	s, err := New(Config{Dir: dir})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, key[:2])))
	require.NoError(t, s.Put(key, []byte("v")))
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing is written through the symlink")
	info, err := os.Lstat(filepath.Join(dir, key[:2]))
	require.NoError(t, err)
	assert.True(t, info.IsDir())
}

// Leftovers of a crash mid-write are removed when the store opens, once
// old enough not to be another process's write in progress; files that
// are not entries are removed too.
func TestStrayFilesAreRemovedAtOpen(t *testing.T) {
	dir := t.TempDir()
	shard := filepath.Join(dir, key[:2])
	require.NoError(t, os.MkdirAll(shard, 0o700))
	stale := filepath.Join(shard, ".tmp-123")
	require.NoError(t, os.WriteFile(stale, []byte("half"), 0o600))
	old := mustOld(t, stale)
	fresh := filepath.Join(shard, ".tmp-456")
	require.NoError(t, os.WriteFile(fresh, []byte("half"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(shard, "NOTAKEY"), []byte("x"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stray"), []byte("x"), 0o600))
	s, err := New(Config{Dir: dir})
	require.NoError(t, err)
	defer s.Close()
	names := func(d string) []string {
		entries, err := os.ReadDir(d)
		require.NoError(t, err)
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	assert.Equal(t, []string{".tmp-456"}, names(shard), "%s removed", old)
	assert.Equal(t, []string{key[:2]}, names(dir))
}

func mustOld(t *testing.T, p string) string {
	t.Helper()
	old := strings.Repeat("old ", 1)
	info, err := os.Stat(p)
	require.NoError(t, err)
	then := info.ModTime().Add(-2 * staleTemp)
	require.NoError(t, os.Chtimes(p, then, then))
	return old
}

// The directories a disk tier makes above its own are searchable by
// others, the tier's own directory is not: with the split, the front
// door (another uid) must reach a store that a root command made first.
func TestDiskTierMakesItsParentsSearchable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "cache", "results")
	s, err := New(Config{Dir: dir, DiskBytes: 1 << 20, MaxValueBytes: 1 << 10})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	for p, want := range map[string]os.FileMode{dir: 0o700, filepath.Dir(dir): 0o755, filepath.Dir(filepath.Dir(dir)): 0o755} {
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.Equal(t, want, st.Mode().Perm(), p)
	}
}
