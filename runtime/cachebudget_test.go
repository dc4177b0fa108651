package runtime

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"

	"github.com/rocket-sandbox/rocket-sandbox/internal/testenv"
)

// dataModule holds n bytes of initialized data (tag makes distinct bytes).
func dataModule(n int, tag byte) []byte {
	data := make([]byte, n)
	data[0] = tag
	return testModule{memPages: (n+16)/wasmPageSize + 1, data: data}.bytes()
}

func TestModuleChargeFollowsCodeAndData(t *testing.T) {
	code, ok := codeSectionBytes(nopModule(1))
	require.True(t, ok)
	assert.Positive(t, code)
	assert.Less(t, code, int64(len(nopModule(1))))

	big := dataModule(4<<20, 1)
	assert.Less(t, moduleCharge(big, interpreterBytesPerCodeByte), int64(len(big))+1024, "data is charged once")
	assert.Equal(t, int64(len(nopModule(1)))+code*(compilerBytesPerCodeByte-1), moduleCharge(nopModule(1), compilerBytesPerCodeByte))
	assert.Equal(t, int64(3*compilerBytesPerCodeByte), moduleCharge([]byte("bad"), compilerBytesPerCodeByte), "not wasm: all code")

	// The Go guest: 1.9 MB of its 3 MB are code.
	c, ok := codeSectionBytes(guestWasm)
	require.True(t, ok)
	assert.Greater(t, c, int64(len(guestWasm)/3))
}

// The compiled modules kept are bounded by bytes as well as by count:
// past the budget the least recently used is closed; a module over the
// whole budget is compiled for its run and not kept, and pushes nothing
// out.
func TestCompiledModulesAreBoundedByBytes(t *testing.T) {
	const budget = 16 << 20
	e := newEngine(t, Config{CompiledModulesBytes: budget})
	a, b, c := dataModule(6<<20, 1), dataModule(6<<20, 2), dataModule(6<<20, 3)
	run(t, e, Job{Module: a})
	run(t, e, Job{Module: b})
	run(t, e, Job{Module: a})
	assert.Equal(t, uint64(2), e.Compilations())
	run(t, e, Job{Module: c}) // over the budget: b, the least recent, goes
	assert.Equal(t, 2, e.fast.modules.len())
	assert.LessOrEqual(t, e.CacheUsage().CompiledModulesBytes, int64(budget))
	run(t, e, Job{Module: a})
	assert.Equal(t, uint64(3), e.Compilations(), "a stayed")
	run(t, e, Job{Module: b})
	assert.Equal(t, uint64(4), e.Compilations(), "b was evicted")

	huge := dataModule(20<<20, 4)
	run(t, e, Job{Module: huge})
	run(t, e, Job{Module: huge})
	assert.Equal(t, uint64(6), e.Compilations(), "never kept")
	assert.Equal(t, 2, e.fast.modules.len(), "and pushed nothing out")
	run(t, e, Job{Module: b})
	assert.Equal(t, uint64(6), e.Compilations())
}

// An evicted module held by a run is closed only when the run releases
// it, and the budget counts it no more.
func TestModuleCacheClosesEvictedModulesOnRelease(t *testing.T) {
	var closed atomic.Int64
	c := newModuleCache(10, 100, 1, func(context.Context, []byte) (wazero.CompiledModule, error) {
		return fakeModule{}, nil
	})
	c.closeModule = func(wazero.CompiledModule) { closed.Add(1) }
	ctx := context.Background()
	a, b := make([]byte, 60), append(make([]byte, 59), 1)
	_, releaseA, err := c.acquire(ctx, bytesKey(a), a)
	require.NoError(t, err)
	_, releaseB, err := c.acquire(ctx, bytesKey(b), b)
	require.NoError(t, err)
	assert.Equal(t, 1, c.len(), "60 + 60 is over 100: the first is evicted")
	assert.Equal(t, int64(60), c.charged())
	assert.Zero(t, closed.Load(), "still held")
	releaseA()
	assert.Equal(t, int64(1), closed.Load())
	releaseB()
	assert.Equal(t, int64(1), closed.Load(), "kept")
}

// A compile that panics fails its acquire (and any waiter) instead of
// crashing or blocking; the next acquire tries again.
func TestModuleCacheTurnsACompilePanicIntoAnError(t *testing.T) {
	var calls atomic.Int64
	c := newModuleCache(10, 1<<20, 1, func(context.Context, []byte) (wazero.CompiledModule, error) {
		if calls.Add(1) == 1 {
			panic("compiler bug")
		}
		return fakeModule{}, nil
	})
	_, _, err := c.acquire(context.Background(), "k", []byte("bin"))
	require.ErrorContains(t, err, "panic: compiler bug")
	assert.Zero(t, c.len())
	_, release, err := c.acquire(context.Background(), "k", []byte("bin"))
	require.NoError(t, err)
	release()
}

type fakeModule struct{ wazero.CompiledModule }

// A background compile of EngineAuto that fails or panics leaves the
// module to the interpreter: runs keep working and the failure is
// counted (and logged).
func TestAutoBackgroundCompileFailureFallsBackToTheInterpreter(t *testing.T) {
	for name, compile := range map[string]func(context.Context, []byte) (wazero.CompiledModule, error){
		"panic": func(context.Context, []byte) (wazero.CompiledModule, error) { panic("injected") },
		"error": func(context.Context, []byte) (wazero.CompiledModule, error) { return nil, os.ErrInvalid },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t, Config{Engine: EngineAuto})
			e.fast.modules.compile = compile
			// settled waits for the n-th failure and its slot's release.
			settled := func(n uint64) {
				require.Eventually(t, func() bool {
					return e.CacheUsage().BackgroundCompileFailures == n && len(e.background) == 0
				}, time.Minute, time.Millisecond)
			}
			job := Job{Module: nopModule(7)}
			first := run(t, e, job)
			settled(1)
			second := run(t, e, job)
			settled(2)
			assert.Equal(t, withoutTimes(first), withoutTimes(second))
			assert.False(t, e.fast.modules.ready(moduleKeyOf(job)))
			_, _, err := e.fast.modules.acquire(context.Background(), moduleKeyOf(job), job.Module)
			assert.Error(t, err, "a foreground compile gets the error, and does not hang")
		})
	}
}

// At most max_background_compiles background compiles run at once; the
// runs meanwhile are interpreted.
func TestAutoBackgroundCompilesAreBounded(t *testing.T) {
	e := newEngine(t, Config{Engine: EngineAuto, MaxBackgroundCompiles: 2})
	var (
		mu             sync.Mutex
		running, most  int
		started        = make(chan struct{}, 8)
		unblock        = make(chan struct{})
		realCompile    = e.fast.modules.compile
		interpretedRun int
	)
	e.fast.modules.compile = func(ctx context.Context, bin []byte) (wazero.CompiledModule, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		started <- struct{}{}
		<-unblock
		mu.Lock()
		running--
		mu.Unlock()
		return realCompile(ctx, bin)
	}
	for i := range 5 {
		job := Job{Module: nopModule(int32(100 + i))}
		run(t, e, job)
		if !e.fast.modules.ready(moduleKeyOf(job)) {
			interpretedRun++ // so this run was the interpreter's
		}
	}
	<-started
	<-started
	close(unblock)
	require.NoError(t, e.Close(context.Background()))
	assert.Equal(t, 2, most, "two compiles at once, no more")
	assert.Equal(t, 5, interpretedRun)
	assert.Len(t, started, 0, "the others never started")
}

// wazero's compilation cache directory stays within its byte budget,
// removing the least recently used file: a use is a compile that read
// the file.
func TestCompilationCacheDirEvictsLeastRecentlyUsed(t *testing.T) {
	dir := t.TempDir()
	// One module kept in memory, so that each run of another module
	// compiles it again, from the directory.
	e := newEngine(t, Config{CompilationCacheDir: dir, MaxCompiledModules: 1})
	fileOf := map[string]string{}
	runAndFind := func(name string, bin []byte) {
		before := codeFiles(t, dir)
		run(t, e, Job{Module: bin})
		for p := range codeFiles(t, dir) {
			if _, ok := before[p]; !ok {
				fileOf[name] = p
			}
		}
	}
	a, b, c := nopModule(1), nopModule(2), nopModule(3)
	runAndFind("a", a)
	runAndFind("b", b)
	require.Len(t, fileOf, 2)
	size := codeFiles(t, dir)[fileOf["a"]]
	e.code.mu.Lock()
	e.code.budget = 2*size + size/2
	e.code.mu.Unlock()
	run(t, e, Job{Module: a}) // read from the directory: a is now the most recent
	runAndFind("c", c)        // over the budget: b goes
	files := codeFiles(t, dir)
	assert.Len(t, files, 2)
	assert.Contains(t, files, fileOf["a"])
	assert.Contains(t, files, fileOf["c"])
	assert.NotContains(t, files, fileOf["b"])
	assert.LessOrEqual(t, e.CacheUsage().CompilationCacheBytes, 2*size+size/2)
}

// codeFiles lists the files of a compilation cache directory with sizes.
func codeFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		require.NoError(t, err)
		if info.Mode().IsRegular() {
			out[p] = info.Size()
		}
		return nil
	}))
	return out
}

// A compilation cache file that is damaged makes wazero fail the
// compile; the engine removes it and compiles without it, and the next
// engine finds a good file again.
func TestCompilationCacheDirCorruptFilesAreReplaced(t *testing.T) {
	for name, corrupt := range map[string]func(t *testing.T, p string){
		"truncated": func(t *testing.T, p string) { require.NoError(t, os.Truncate(p, 40)) },
		"empty":     func(t *testing.T, p string) { require.NoError(t, os.Truncate(p, 0)) },
		"flipped code byte": func(t *testing.T, p string) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[len(b)/2] ^= 0xff // inside the machine code, under wazero's checksum
			require.NoError(t, os.WriteFile(p, b, 0o600))
		},
		"directory": func(t *testing.T, p string) {
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.MkdirAll(filepath.Join(p, "x"), 0o700))
		},
		"symlink": func(t *testing.T, p string) {
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Symlink("/etc/passwd", p))
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			e, err := New(context.Background(), Config{CompilationCacheDir: dir, Engine: EngineCompiler})
			require.NoError(t, err)
			want := run(t, e, guestJob("hello"))
			require.NoError(t, e.Close(context.Background()))
			files := codeFiles(t, dir)
			require.Len(t, files, 1)
			var p string
			for p = range files {
			}
			corrupt(t, p)

			e = newEngine(t, Config{CompilationCacheDir: dir})
			got := run(t, e, guestJob("hello"))
			assert.Equal(t, withoutTimes(want), withoutTimes(got))
			info, err := os.Lstat(p)
			require.NoError(t, err, "written again")
			assert.True(t, info.Mode().IsRegular())
		})
	}
}

// With the compilation cache directory on a full disk, compiles still
// succeed (wazero's failed write is retried without it, and its code is
// freed when evicted), and the directory fills again once there is room.
func TestCompilationCacheDirOnAFullDisk(t *testing.T) {
	testenv.RequireRoot(t, "mounting a tmpfs")
	dir := t.TempDir()
	require.NoError(t, syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"))
	t.Cleanup(func() { require.NoError(t, syscall.Unmount(dir, syscall.MNT_DETACH)) })

	e := newEngine(t, Config{CompilationCacheDir: dir, MaxCompiledModules: 1})
	res := run(t, e, guestJob("hello"))
	assert.Equal(t, "hello, world\n", string(res.Stdout))
	assert.Empty(t, codeFiles(t, dir), "nothing half-written is left")
	res = run(t, e, Job{Module: nopModule(1)}) // evicts the guest
	assert.Empty(t, res.Stderr)
	n := 0
	e.fast.extraRefs.Range(func(any, any) bool { n++; return true })
	assert.Zero(t, n, "the guest's extra reference was released")

	require.NoError(t, syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, "size=64m"))
	run(t, e, guestJob("hello"))
	assert.Len(t, codeFiles(t, dir), 2, "written once there is room")
}
