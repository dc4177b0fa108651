package sandbox

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/internal/testenv"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// serviceOver builds a service whose stores live in dirs (results,
// modules) with cfg's sizes.
func serviceOver(t *testing.T, dirs [2]string, cfg cache.Config, c Compiler, e Engine) *Service {
	t.Helper()
	var stores [2]*cache.Store
	for i := range stores {
		cfg.Dir = dirs[i]
		s, err := cache.New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	svc, err := NewService(Config{}, Deps{Harnesses: harnesses.Default(), Compiler: c, Engine: e,
		Results: stores[0], Modules: stores[1], Fingerprint: "fingerprint-for-tests"})
	require.NoError(t, err)
	return svc
}

// loudEngine writes n bytes of stdout.
type loudEngine struct {
	countingEngine
	n int
}

func (e *loudEngine) Run(ctx context.Context, job wasmrt.Job) (wasmrt.Result, error) {
	res, err := e.countingEngine.Run(ctx, job)
	res.Stdout = []byte(strings.Repeat("x", e.n))
	return res, err
}

// A response larger than the results store's max_value_bytes is
// answered in full but not memoized; a small one still is.
func TestResponsesOverTheMemoCapAreAnsweredNotStored(t *testing.T) {
	c, e := &countingCompiler{}, &loudEngine{n: 8 << 10}
	svc := serviceOver(t, [2]string{t.TempDir(), t.TempDir()}, cache.Config{MaxValueBytes: 4 << 10}, c, e)
	for range 2 {
		resp, err := svc.Execute(context.Background(), programReq("fn main() {}\n", "big"))
		require.NoError(t, err)
		assert.Equal(t, outcome.StatusOK, resp.Status)
		assert.Len(t, resp.Run.Stdout, 8<<10, "answered in full")
		assert.Equal(t, cache.Miss, resp.Cache.Result, "never memoized")
	}
	assert.EqualValues(t, 2, e.runs.Load())

	e.n = 100
	for _, want := range []cache.Tier{cache.Miss, cache.Memory} {
		resp, err := svc.Execute(context.Background(), programReq("fn main() {}\n", "small"))
		require.NoError(t, err)
		assert.Equal(t, want, resp.Cache.Result)
	}
}

// A corrupted entry of either disk tier is never served: the request is
// computed again (a corrupt module is compiled again), and the entry is
// replaced by a good one.
func TestCorruptCacheEntriesAreRecomputed(t *testing.T) {
	corruptions := map[string]func(t *testing.T, p string){
		"flipped byte": func(t *testing.T, p string) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[len(b)-2] ^= 0x20
			require.NoError(t, os.WriteFile(p, b, 0o600))
		},
		"truncated": func(t *testing.T, p string) {
			info, err := os.Stat(p)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(p, info.Size()-3))
		},
		"directory": func(t *testing.T, p string) {
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Mkdir(p, 0o700))
		},
		"symlink": func(t *testing.T, p string) {
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Symlink("/etc/passwd", p))
		},
	}
	// A compile is two entries of the module store: its record and its
	// module's bytes; either corrupted means compiling again.
	type target struct{ which, file, files int }
	targets := map[string]target{"results": {0, 0, 1}, "module record": {1, 0, 2}, "module bytes": {1, 1, 2}}
	for name, corrupt := range corruptions {
		for tier, tg := range targets {
			t.Run(name+"/"+tier, func(t *testing.T) {
				dirs := [2]string{t.TempDir(), t.TempDir()}
				c, e := &countingCompiler{}, &countingEngine{}
				req := programReq("fn main() {}\n", "a")
				first, err := serviceOver(t, dirs, cache.Config{}, c, e).Execute(context.Background(), req)
				require.NoError(t, err)

				files := entryFiles(t, dirs[tg.which])
				require.Len(t, files, tg.files)
				if tg.which == 1 {
					// Which file is which: the record is the smaller.
					slices.SortFunc(files, func(a, b string) int { return cmp.Compare(fileSize(t, a), fileSize(t, b)) })
				}
				corrupted := files[tg.file]
				corrupt(t, corrupted)
				if tg.which == 1 {
					// So that the request reaches the module store.
					require.NoError(t, os.RemoveAll(dirs[0]))
				}

				// A restart: only the disk tiers remain.
				svc := serviceOver(t, dirs, cache.Config{}, c, e)
				resp, err := svc.Execute(context.Background(), req)
				require.NoError(t, err)
				assert.Equal(t, first.Run, resp.Run)
				assert.Equal(t, cache.Miss, resp.Cache.Result)
				if tg.which == 1 {
					assert.Equal(t, cache.Miss, resp.Cache.Module)
					assert.EqualValues(t, 2, c.calls.Load(), "compiled again")
				} else {
					assert.Equal(t, cache.Disk, resp.Cache.Module)
				}
				info, err := os.Lstat(corrupted)
				require.NoError(t, err, "stored again")
				assert.True(t, info.Mode().IsRegular())
			})
		}
	}
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	info, err := os.Lstat(p)
	require.NoError(t, err)
	return info.Size()
}

// entryFiles lists a disk tier's entry files.
func entryFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		require.NoError(t, err)
		if info.Mode().IsRegular() {
			out = append(out, p)
		}
		return nil
	}))
	return out
}

// With the caches on a full disk, requests are answered as usual (a cache
// that cannot store is only slower), nothing half-written is left, and
// the caches store again once space returns.
func TestFullDiskOnlyCostsCacheHits(t *testing.T) {
	testenv.RequireRoot(t, "mounting a tmpfs")
	mnt := t.TempDir()
	require.NoError(t, syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=256k,mode=0700"))
	t.Cleanup(func() { require.NoError(t, syscall.Unmount(mnt, syscall.MNT_DETACH)) })
	dirs := [2]string{filepath.Join(mnt, "results"), filepath.Join(mnt, "modules")}
	c, e := &countingCompiler{}, &countingEngine{}
	svc := serviceOver(t, dirs, cache.Config{}, c, e)
	filler := filepath.Join(mnt, "filler")
	f, err := os.Create(filler)
	require.NoError(t, err)
	_, err = f.Write(make([]byte, 512<<10)) // fails part-way: the disk is full
	require.Error(t, err)
	require.NoError(t, f.Close())

	resp, err := svc.Execute(context.Background(), programReq("fn main() {}\n", "full"))
	require.NoError(t, err)
	assert.Equal(t, outcome.StatusOK, resp.Status)
	assert.Equal(t, "stdin=full", resp.Run.Stdout)
	assert.Empty(t, entryFiles(t, dirs[0]), "nothing stored, nothing half-written")
	assert.Empty(t, entryFiles(t, dirs[1]))

	require.NoError(t, os.Remove(filler))
	_, err = svc.Execute(context.Background(), programReq("fn main() { }\n", "room"))
	require.NoError(t, err)
	assert.Len(t, entryFiles(t, dirs[0]), 1, "stored once there is room")
	assert.Len(t, entryFiles(t, dirs[1]), 2, "the compile's record and its module")
}
