package cache

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/testenv"
)

// smallTmpfs mounts a tmpfs of size bytes in a temporary directory for
// the test's duration (root only: skipped elsewhere, a failure in CI).
func smallTmpfs(t *testing.T, size string) string {
	t.Helper()
	testenv.RequireRoot(t, "mounting a tmpfs")
	dir := t.TempDir()
	require.NoError(t, syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0700"))
	t.Cleanup(func() { require.NoError(t, syscall.Unmount(dir, syscall.MNT_DETACH)) })
	return dir
}

// On a full disk a write fails with the system's error, leaves no
// partial file, and keeps what was stored intact; the store serves its
// entries and stores again once space returns.
func TestDiskFullFailsWritesCleanlyAndRecovers(t *testing.T) {
	mnt := smallTmpfs(t, "1m")
	dir := filepath.Join(mnt, "results")
	s, err := New(Config{Dir: dir, DiskBytes: 64 << 20})
	require.NoError(t, err)
	defer s.Close()
	value := func(n int) []byte { return bytes.Repeat([]byte{byte(n)}, 200<<10) }
	var stored []int
	var full error
	for n := range 20 {
		if err := s.Put(keyN(n), value(n)); err != nil {
			full = err
			break
		}
		stored = append(stored, n)
	}
	require.Error(t, full, "a 1 MiB tmpfs fills up")
	assert.ErrorIs(t, full, syscall.ENOSPC)
	assert.Contains(t, full.Error(), "no space left on device")
	assert.NotEmpty(t, stored)
	assert.EqualValues(t, 1, s.Usage().WriteErrors)

	// Nothing half-written is left, and nothing stored is damaged.
	err = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		require.NoError(t, err)
		assert.NotContains(t, filepath.Base(p), ".tmp-", "no temporary file is left")
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, s.mem.Reset())
	for _, n := range stored {
		v, tier := s.Get(keyN(n))
		require.Equal(t, Disk, tier, "entry %d", n)
		assert.Equal(t, value(n), v)
	}
	// The one that failed is not on disk.
	_, tier := s.Get(keyN(len(stored)))
	assert.Equal(t, Miss, tier)

	// Space returns.
	require.NoError(t, syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_REMOUNT|syscall.MS_NOSUID|syscall.MS_NODEV, "size=8m"))
	require.NoError(t, s.Put(keyN(len(stored)), value(len(stored))))
	require.NoError(t, s.mem.Reset())
	_, tier = s.Get(keyN(len(stored)))
	assert.Equal(t, Disk, tier)
}
