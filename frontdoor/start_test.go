package frontdoor

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/testenv"
)

// The stores become the front door's (created, owned by its uid with
// what is in them, 0700),
// and one the uid cannot reach — below a directory others cannot
// search, as the state dir under /root — is refused by its key.
func TestDirsAreTheFrontDoorsOrRefused(t *testing.T) {
	testenv.RequireRoot(t, "chown the stores")
	open, err := os.MkdirTemp("", "frontdoor-dirs-") // t.TempDir's parent is 0700
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(open) })
	require.NoError(t, os.Chmod(open, 0o755))
	cfg := config.Default()
	cfg.CachesIn(filepath.Join(open, "data"))
	cfg.FrontDoor.DataDir = filepath.Join(open, "data")
	// What `run` as root left in a store is given to the front door.
	rootShard := filepath.Join(cfg.Cache.Results.Dir, "ab")
	require.NoError(t, os.MkdirAll(filepath.Dir(cfg.Cache.Results.Dir), 0o755))
	require.NoError(t, os.MkdirAll(rootShard, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(rootShard, "entry"), []byte("x"), 0o600))
	require.NoError(t, Dirs(cfg))
	for _, p := range []string{rootShard, filepath.Join(rootShard, "entry")} {
		st, err := os.Stat(p)
		require.NoError(t, err)
		assert.EqualValues(t, cfg.FrontDoor.UID, st.Sys().(*syscall.Stat_t).Uid, p)
	}
	for _, dir := range []string{cfg.Cache.Results.Dir, cfg.Cache.Modules.Dir, cfg.Cache.Shares.Dir} {
		st, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), st.Mode().Perm(), dir)
		assert.EqualValues(t, cfg.FrontDoor.UID, st.Sys().(*syscall.Stat_t).Uid, dir)
	}

	// A directory inside the data dir that an older root run made 0700
	// (it stopped `serve` after `make examples`) is opened for search.
	closedInData := filepath.Dir(cfg.Cache.Modules.Dir)
	require.NoError(t, os.Chmod(closedInData, 0o700))
	require.NoError(t, Dirs(cfg))
	st, err := os.Stat(closedInData)
	require.NoError(t, err)
	assert.NotZero(t, st.Mode().Perm()&0o001, "searchable by others")

	closed := t.TempDir()
	require.NoError(t, os.Chmod(closed, 0o700))
	cfg.Cache.Modules.Dir = filepath.Join(closed, "modules")
	err = Dirs(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cache.modules.dir")
	assert.Contains(t, err.Error(), "not searchable by others")
}
