package incremental

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func idN(n int) string { return strings.Repeat(string(rune('a'+n)), 64) }

func tree(n int, size int) map[string][]byte {
	return map[string][]byte{
		WorkDir + "/main-x/s-1/dep-graph.bin": make([]byte, size),
		WorkDir + "/main-x/s-1.lock":          {},
		WorkDir + "/main-x/s-1/a.o":           []byte(strings.Repeat("o", n)),
	}
}

func openStore(t *testing.T, cfg Config) *Store {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	s, err := Open(cfg)
	require.NoError(t, err)
	return s
}

func TestConfigDefaultsAndValidation(t *testing.T) {
	require.NoError(t, DefaultConfig().Validate())
	err := Config{DiskBytes: 64 << 20, MaxDirBytes: 128 << 20}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_dir_bytes: 134217728 is more than disk_bytes")
	err = Config{DiskBytes: 1, MaxDirBytes: 1}.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk_bytes")
	_, err = Open(Config{Dir: t.TempDir(), DiskBytes: 5})
	require.Error(t, err, "Open refuses a bad configuration")
}

// A directory comes back exactly as saved, after a reopen too; another
// id has none; a saved directory replaces the previous one whole.
func TestDirectoriesRoundTripByID(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, Config{Dir: dir})
	require.NoError(t, s.Save(idN(0), tree(3, 100)))
	got, ok := s.Load(idN(0))
	require.True(t, ok)
	assert.Equal(t, tree(3, 100), got)
	_, ok = s.Load(idN(1))
	assert.False(t, ok, "another client's id has nothing")

	require.NoError(t, s.Save(idN(0), map[string][]byte{WorkDir + "/only": []byte("x")}))
	got, _ = s.Load(idN(0))
	assert.Equal(t, map[string][]byte{WorkDir + "/only": []byte("x")}, got, "replaced whole, nothing of the old tree left")

	again := openStore(t, Config{Dir: dir})
	got, ok = again.Load(idN(0))
	require.True(t, ok)
	assert.Equal(t, map[string][]byte{WorkDir + "/only": []byte("x")}, got)
}

// Only ids of the one form name a directory: nothing can name a path.
func TestIDsNameNoPath(t *testing.T) {
	s := openStore(t, Config{})
	for _, id := range []string{"", "../x", "/etc/passwd", strings.Repeat("A", 64), strings.Repeat("a", 63), strings.Repeat("a", 65), strings.Repeat("a", 62) + "/."} {
		assert.False(t, ValidID(id), id)
		assert.Error(t, s.Save(id, tree(1, 1)), id)
		_, ok := s.Load(id)
		assert.False(t, ok, id)
	}
	assert.True(t, ValidID(strings.Repeat("0a", 32)))
}

// A tree with a path outside WorkDir, or over max_dir_bytes, is not
// kept, and drops what the id had.
func TestTreesOutOfBoundsAreNotKept(t *testing.T) {
	s := openStore(t, Config{MaxDirBytes: 1 << 20})
	require.NoError(t, s.Save(idN(0), tree(1, 10)))
	require.Error(t, s.Save(idN(0), map[string][]byte{"main.rs": nil}))
	_, ok := s.Load(idN(0))
	assert.False(t, ok, "the old directory is dropped with the refused one")

	require.NoError(t, s.Save(idN(1), tree(1, 10)))
	err := s.Save(idN(1), tree(1, 1<<20))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "over max_dir_bytes")
	_, ok = s.Load(idN(1))
	assert.False(t, ok)
	used, n := s.Usage()
	assert.Zero(t, used)
	assert.Zero(t, n)
}

// Past disk_bytes the least recently used directories go first; a Load
// counts as a use.
func TestLeastRecentlyUsedGoFirst(t *testing.T) {
	s := openStore(t, Config{DiskBytes: 64 << 20, MaxDirBytes: 30 << 20})
	for i := range 3 {
		require.NoError(t, s.Save(idN(i), tree(1, 20<<20)))
	}
	// 60 MiB and some: all three fit. Use 0, then add a fourth.
	_, ok := s.Load(idN(0))
	require.True(t, ok)
	require.NoError(t, s.Save(idN(3), tree(1, 20<<20)))
	_, ok = s.Load(idN(1))
	assert.False(t, ok, "the least recently used is gone")
	for _, i := range []int{0, 2, 3} {
		_, ok := s.Load(idN(i))
		assert.True(t, ok, "id %d is kept", i)
	}
	used, n := s.Usage()
	assert.LessOrEqual(t, used, int64(64<<20))
	assert.Equal(t, 3, n)

	// The budget holds across a reopen with a smaller one.
	small := openStore(t, Config{Dir: s.dir, DiskBytes: 64 << 20, MaxDirBytes: 1 << 20})
	used, _ = small.Usage()
	assert.LessOrEqual(t, used, int64(64<<20))
}

// A damaged blob (a flipped byte, a truncation) is no directory: Load
// says none and removes it. Stray files are removed at Open.
func TestDamagedDirectoriesAreDiscarded(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, Config{Dir: dir})
	require.NoError(t, s.Save(idN(0), tree(5, 1000)))
	require.NoError(t, s.Save(idN(1), tree(5, 1000)))
	p0 := filepath.Join(dir, idN(0))
	b, err := os.ReadFile(p0)
	require.NoError(t, err)
	b[len(b)/2] ^= 1
	require.NoError(t, os.WriteFile(p0, b, 0o600))
	_, ok := s.Load(idN(0))
	assert.False(t, ok, "a flipped byte fails the checksum")
	assert.NoFileExists(t, p0)

	p1 := filepath.Join(dir, idN(1))
	b, err = os.ReadFile(p1)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p1, b[:len(b)-1], 0o600))
	_, ok = s.Load(idN(1))
	assert.False(t, ok, "a truncated blob is none")

	require.NoError(t, os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("x"), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, idN(2)), 0o700))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, idN(3))))
	openStore(t, Config{Dir: dir})
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "unfinished writes, directories and symlinks are no entries")
}
