package runtime

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

func TestHelloCapturesOutputAndExitCode(t *testing.T) {
	res := run(t, shared(t), guestJob("hello"))
	assert.Equal(t, "hello, world\n", string(res.Stdout))
	assert.Equal(t, "to stderr\n", string(res.Stderr))
	assert.Equal(t, int32(0), exitCode(t, res))
	assert.True(t, res.Succeeded())
	assert.Empty(t, res.Trap)
	assert.Equal(t, outcome.LimitNone, res.Limit)
	assert.False(t, res.StdoutTruncated || res.StderrTruncated)
	assert.Positive(t, res.PeakMemoryBytes)
	assert.Zero(t, res.PeakMemoryBytes%wasmPageSize, "memory is whole pages")
	assert.Positive(t, res.Duration)
	assert.Positive(t, res.CPU)
}

func TestNonZeroExitCode(t *testing.T) {
	res := run(t, shared(t), guestJob("exit", "3"))
	assert.Equal(t, int32(3), exitCode(t, res))
	assert.Equal(t, "exiting\n", string(res.Stdout))
	assert.False(t, res.Succeeded())
	assert.Empty(t, res.Trap)
	assert.Equal(t, outcome.LimitNone, res.Limit)
}

func TestArgvDefaultsAndStdin(t *testing.T) {
	e := shared(t)

	res := run(t, e, Job{Module: guestWasm, Args: []string{"", "args", "a b"}})
	assert.Equal(t, "main|args|a b\n", string(res.Stdout))

	// No args at all: argv is just {"main"}, which the guest rejects.
	res = run(t, e, Job{Module: guestWasm})
	assert.Equal(t, int32(64), exitCode(t, res))
	assert.Contains(t, string(res.Stderr), "usage")

	job := guestJob("stdin")
	job.Stdin = []byte("line one\nline two")
	res = run(t, e, job)
	assert.Equal(t, "stdin=\"line one\\nline two\"\n", string(res.Stdout))
}

func TestTrapIsRecorded(t *testing.T) {
	res := run(t, shared(t), Job{Module: trapModule()})
	assert.Nil(t, res.ExitCode)
	assert.Contains(t, res.Trap, "unreachable")
	assert.Equal(t, outcome.LimitNone, res.Limit)
	assert.False(t, res.Succeeded())
}

func TestInfiniteLoopTimesOut(t *testing.T) {
	t.Parallel()
	job := guestJob("loop")
	job.Limits.Timeout = 500 * time.Millisecond
	start := time.Now()
	res := run(t, shared(t), job)
	within(t, time.Since(start), 500*time.Millisecond+2*time.Second)
	assert.Equal(t, outcome.LimitTime, res.Limit)
	assert.Nil(t, res.ExitCode)
	assert.Empty(t, res.Trap)
	assert.Equal(t, "looping\n", string(res.Stdout), "output before the deadline is kept")
	assert.GreaterOrEqual(t, res.Duration, 500*time.Millisecond)
}

func TestGoGuestAllocatingPastCapFails(t *testing.T) {
	t.Parallel()
	e := shared(t)
	const limit = 48 << 20

	job := guestJob("alloc", "4")
	job.Limits.MemoryLimitBytes = limit
	res := run(t, e, job)
	require.True(t, res.Succeeded(), "a small allocation fits: %q", res.Stderr)

	job = guestJob("alloc", "200")
	job.Limits.MemoryLimitBytes = limit
	res = run(t, e, job)
	assert.False(t, res.Succeeded())
	// Go reports it as a fatal error and exits 2 (not Rust's message, so
	// it is not classified as memory_limit: see isMemoryLimitTrap).
	assert.Contains(t, string(res.Stderr), "out of memory")
	assert.NotContains(t, string(res.Stdout), "allocated")
	assert.LessOrEqual(t, res.PeakMemoryBytes, int64(limit))
}

func TestRustStyleAllocationFailureIsMemoryLimit(t *testing.T) {
	e := shared(t)
	const limit = 4 * wasmPageSize

	// Growing 16 pages from 1 cannot fit under 4: memory.grow fails, the
	// module prints Rust's message and aborts.
	job := Job{Module: rustOOMModule(16, "memory allocation of 1048576 bytes failed\n")}
	job.Limits.MemoryLimitBytes = limit
	res := run(t, e, job)
	assert.Equal(t, outcome.LimitMemory, res.Limit)
	assert.Contains(t, res.Trap, "unreachable")
	assert.Nil(t, res.ExitCode)
	assert.Equal(t, int64(wasmPageSize), res.PeakMemoryBytes)

	// The same module under a roomier cap grows and exits normally.
	job.Limits.MemoryLimitBytes = 32 * wasmPageSize
	res = run(t, e, job)
	require.True(t, res.Succeeded(), "trap=%q", res.Trap)
	assert.Equal(t, int64(17*wasmPageSize), res.PeakMemoryBytes)

	// Past the Engine's own cap too (which wazero alone would refuse
	// without the host seeing it).
	small := newEngine(t, Config{MemoryLimitBytes: limit})
	res = run(t, small, Job{Module: rustOOMModule(16, "memory allocation of 1048576 bytes failed\n")})
	assert.Equal(t, outcome.LimitMemory, res.Limit)

	// What the guest prints decides nothing: a growth refused at the cap
	// is memory_limit whatever the message claims...
	job = Job{Module: rustOOMModule(100, "memory allocation of 8 bytes failed\n")}
	job.Limits.MemoryLimitBytes = limit
	res = run(t, e, job)
	assert.Equal(t, outcome.LimitMemory, res.Limit)
	assert.Contains(t, res.Trap, "unreachable")
}

func TestPrintedAllocationFailureIsNotMemoryLimit(t *testing.T) {
	// ...and a guest that prints Rust's message for a huge allocation and
	// aborts, far below its cap and never refused memory, failed as the
	// plain trap it is. (Deciding from the text made this memory_limit.)
	job := Job{Module: fakeOOMModule("memory allocation of 999999999999 bytes failed\n")}
	res := run(t, shared(t), job)
	assert.Equal(t, outcome.LimitNone, res.Limit)
	assert.Contains(t, res.Trap, "unreachable")
	assert.Contains(t, string(res.Stderr), "memory allocation of 999999999999 bytes failed")
	assert.Equal(t, int64(wasmPageSize), res.PeakMemoryBytes)
}

func TestDeclaredMemoryOverCapIsMemoryLimit(t *testing.T) {
	// Over a job's lower cap: caught before the guest runs.
	job := Job{Module: memoryModule(8), Connections: [][]byte{[]byte("x")}}
	job.Limits.MemoryLimitBytes = 4 * wasmPageSize
	res := run(t, shared(t), job)
	assert.Equal(t, outcome.LimitMemory, res.Limit)
	assert.Nil(t, res.ExitCode)
	assert.Equal(t, [][]byte{{}}, res.Responses)

	job.Limits.MemoryLimitBytes = 8 * wasmPageSize
	assert.True(t, run(t, shared(t), job).Succeeded())

	// Over the Engine's cap as well: the same.
	e := newEngine(t, Config{MemoryLimitBytes: 16 * wasmPageSize})
	res = run(t, e, Job{Module: memoryModule(100)})
	assert.Equal(t, outcome.LimitMemory, res.Limit)
	assert.Equal(t, Result{Run: outcome.Run{Limit: outcome.LimitMemory, Stdout: []byte{}, Stderr: []byte{}}}, res)
}

func TestPrintingForeverHitsOutputLimit(t *testing.T) {
	t.Parallel()
	e := shared(t)
	for _, tc := range []struct {
		mode   string
		stdout bool
	}{{"spam", true}, {"spamerr", false}} {
		job := guestJob(tc.mode)
		job.Limits = Limits{StdoutLimitBytes: 10_000, StderrLimitBytes: 5_000, Timeout: 5 * time.Second}
		res := run(t, e, job)
		assert.Equal(t, outcome.LimitOutput, res.Limit, tc.mode)
		assert.Nil(t, res.ExitCode, tc.mode)
		assert.Empty(t, res.Trap, tc.mode)
		within(t, res.Duration, 2*time.Second)
		if tc.stdout {
			assert.True(t, res.StdoutTruncated)
			assert.False(t, res.StderrTruncated)
			assert.Len(t, res.Stdout, 10_000)
		} else {
			assert.True(t, res.StderrTruncated)
			assert.False(t, res.StdoutTruncated)
			assert.Len(t, res.Stderr, 5_000)
		}
	}
}

func TestWallClockIsFrozen(t *testing.T) {
	res := run(t, shared(t), guestJob("walltime"))
	require.True(t, res.Succeeded())
	want := time.Unix(FrozenWalltimeUnix, 0).UTC()
	assert.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), want)
	assert.Equal(t, want.Format(time.RFC3339Nano)+"\n"+strconv.FormatInt(FrozenWalltimeUnix, 10)+"\n", string(res.Stdout))
}

func TestSleepAdvancesVirtualTimeOnly(t *testing.T) {
	res := run(t, shared(t), guestJob("sleep"))
	require.True(t, res.Succeeded(), "stderr=%q", res.Stderr)
	elapsed, err := strconv.ParseInt(strings.TrimSpace(string(res.Stdout)), 10, 64)
	require.NoError(t, err)
	// It slept an hour, then waited on a 90-minute timer.
	assert.GreaterOrEqual(t, time.Duration(elapsed), 150*time.Minute)
	assert.Less(t, time.Duration(elapsed), 151*time.Minute)
	within(t, res.Duration, 5*time.Second)
}

func TestRandomnessFollowsSeed(t *testing.T) {
	e := shared(t)
	job := guestJob("rand")
	job.Seed = [32]byte{1, 2, 3}
	a := run(t, e, job)
	b := run(t, e, job)
	job.Seed[31] = 9
	c := run(t, e, job)

	require.True(t, a.Succeeded())
	assert.Len(t, strings.Fields(string(a.Stdout)), 2)
	assert.Equal(t, a.Stdout, b.Stdout, "same seed, same bytes")
	assert.NotEqual(t, a.Stdout, c.Stdout, "different seed, different bytes")
}

func TestSameJobGivesIdenticalResult(t *testing.T) {
	e := shared(t)
	for _, job := range []Job{
		guestJob("busy"),
		guestJob("rand"),
		guestJob("sleep"),
		{Module: vsockWasm, Args: []string{"v", "echo"}, Connections: [][]byte{[]byte("a"), []byte("b")}},
	} {
		first := run(t, e, job)
		second := run(t, e, job)
		require.True(t, first.Succeeded(), "%v: %q", job.Args, first.Stderr)
		assert.Equal(t, withoutTimes(first), withoutTimes(second), "%v", job.Args)
	}
}

func TestGuestSeesNoEnvironmentOrFiles(t *testing.T) {
	res := run(t, shared(t), guestJob("world"))
	require.True(t, res.Succeeded(), "stderr=%q", res.Stderr)
	assert.Equal(t, "env 0 []\nreaddir true\nopen true\nopencwd true\nwrite true\n", string(res.Stdout))
}

func TestUnrunnableModulesAreErrors(t *testing.T) {
	e := shared(t)
	for name, bin := range map[string][]byte{
		"garbage":   []byte("not wasm at all"),
		"empty":     nil,
		"no _start": testModule{memPages: -1, noStart: true}.bytes(),
	} {
		_, err := e.Run(context.Background(), Job{Module: bin})
		assert.ErrorIs(t, err, ErrInvalidModule, name)
	}
}

func TestUnlinkableModulesAreTheProgramsResult(t *testing.T) {
	// A stub decides its module's imports, so a module the sandbox cannot
	// link is a result (runtime_error), naming the import, not an error
	// (which the service answers with a 500).
	for _, engine := range []EngineKind{EngineCompiler, EngineInterpreter} {
		e := newEngine(t, Config{Engine: engine})
		for _, tc := range []struct {
			module []byte
			want   string
		}{
			{testModule{memPages: -1, importEnv: true}.bytes(), `it imports the function "missing" from the module "env", which the sandbox does not provide (it provides only wasi_snapshot_preview1, sandbox_vsock, sandbox_harness)`},
			{testModule{memPages: -1, importBadFdWr: true}.bytes(), `it imports the function "fd_write" from the module "wasi_snapshot_preview1" as () -> (), but the sandbox's is (i32, i32, i32, i32) -> (i32)`},
		} {
			res, err := e.Run(context.Background(), Job{Module: tc.module, Connections: [][]byte{[]byte("x")}})
			require.NoError(t, err, engine)
			assert.Equal(t, "the program cannot start: "+tc.want, res.Trap, engine)
			assert.Nil(t, res.ExitCode)
			assert.False(t, res.Succeeded())
			assert.Equal(t, outcome.LimitNone, res.Limit)
			assert.Equal(t, [][]byte{{}}, res.Responses)
		}
	}
}

func TestCompiledModulesAreCached(t *testing.T) {
	e := newEngine(t, Config{MaxCompiledModules: 2})
	a, b, c := nopModule(1), nopModule(2), nopModule(3)

	run(t, e, Job{Module: a})
	run(t, e, Job{Module: a})
	assert.Equal(t, uint64(1), e.Compilations(), "same bytes compile once")

	run(t, e, Job{Module: b})
	run(t, e, Job{Module: a})
	assert.Equal(t, uint64(2), e.Compilations())

	run(t, e, Job{Module: c}) // evicts b, the least recently used
	run(t, e, Job{Module: a})
	assert.Equal(t, uint64(3), e.Compilations())
	run(t, e, Job{Module: b})
	assert.Equal(t, uint64(4), e.Compilations())
	assert.Equal(t, 2, e.fast.modules.len())

	// Failures are not cached.
	_, err := e.Run(context.Background(), Job{Module: []byte("bad")})
	require.Error(t, err)
	_, err = e.Run(context.Background(), Job{Module: []byte("bad")})
	require.Error(t, err)
	assert.Equal(t, uint64(6), e.Compilations())
}

func TestConcurrentRunsShareOneCompilation(t *testing.T) {
	e := newEngine(t, Config{CompilationCacheDir: cacheDir})
	var wg sync.WaitGroup
	results := make([]Result, 4)
	for i := range results {
		wg.Go(func() {
			res, err := e.Run(context.Background(), guestJob("exit", strconv.Itoa(i)))
			assert.NoError(t, err)
			results[i] = res
		})
	}
	wg.Wait()
	assert.Equal(t, uint64(1), e.Compilations())
	for i, res := range results {
		assert.Equal(t, int32(i), exitCode(t, res))
	}
}

func TestCallerCancellationIsAnError(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := shared(t).Run(ctx, guestJob("loop"))
	within(t, time.Since(start), 3*time.Second)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestRunsLeakNoGoroutines(t *testing.T) {
	e := shared(t)
	run(t, e, guestJob("hello")) // warm up: compile outside the count
	before := runtime.NumGoroutine()
	for _, job := range []Job{guestJob("hello"), guestJob("exit", "1"), {Module: trapModule()}} {
		run(t, e, job)
	}
	job := guestJob("loop")
	job.Limits.Timeout = 100 * time.Millisecond
	run(t, e, job)
	// Polled by hand: assert.Eventually runs its condition on goroutines
	// of its own, which would be counted.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines left behind by runs")
}

func TestClosedEngineRefusesRuns(t *testing.T) {
	e, err := New(context.Background(), Config{})
	require.NoError(t, err)
	run(t, e, Job{Module: nopModule(1)})
	require.NoError(t, e.Close(context.Background()))
	require.NoError(t, e.Close(context.Background()), "Close is idempotent")
	_, err = e.Run(context.Background(), Job{Module: nopModule(1)})
	assert.ErrorIs(t, err, ErrClosed)
}

func TestInterpreterEngine(t *testing.T) {
	e := newEngine(t, Config{Engine: EngineInterpreter})
	res := run(t, e, Job{Module: trapModule()})
	assert.Contains(t, res.Trap, "unreachable")

	job := Job{Module: rustOOMModule(16, "memory allocation of 1048576 bytes failed\n")}
	job.Limits.MemoryLimitBytes = 4 * wasmPageSize
	assert.Equal(t, outcome.LimitMemory, run(t, e, job).Limit)
}

func TestCompilationCacheDirIsUsed(t *testing.T) {
	dir := t.TempDir()
	e := newEngine(t, Config{CompilationCacheDir: dir})
	require.True(t, run(t, e, Job{Module: nopModule(7)}).Succeeded())
	entries := 0
	require.NoError(t, walkFiles(dir, func() { entries++ }))
	assert.Positive(t, entries, "compiled code is written to the cache dir")
}

func TestHookPanicIsAnError(t *testing.T) {
	job := Job{
		Module:        vsockWasm,
		Args:          []string{"v", "hook"},
		Connections:   [][]byte{[]byte("req")},
		TrackResponse: func() ResponseTracker { panic("harness bug") },
	}
	_, err := shared(t).Run(context.Background(), job)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "harness bug")
	assert.False(t, errors.Is(err, ErrInvalidModule))
}

func TestOutputExactlyAtCapIsNotTruncated(t *testing.T) {
	job := guestJob("hello")
	job.Limits.StdoutLimitBytes = int64(len("hello, world\n"))
	res := run(t, shared(t), job)
	assert.True(t, res.Succeeded())
	assert.False(t, res.StdoutTruncated)

	job.Limits.StdoutLimitBytes--
	res = run(t, shared(t), job)
	assert.True(t, res.StdoutTruncated)
	assert.Equal(t, outcome.LimitOutput, res.Limit)
	assert.True(t, bytes.HasPrefix([]byte("hello, world\n"), res.Stdout))
}

func TestRunsLeakNoMemory(t *testing.T) {
	for _, kind := range []EngineKind{EngineCompiler, EngineInterpreter} {
		t.Run(string(kind), func(t *testing.T) { testRunsLeakNoMemory(t, newEngine(t, Config{Engine: kind})) })
	}
}

func testRunsLeakNoMemory(t *testing.T, e *Engine) {
	// 160 pages (10 MiB) of guest memory per run; rustOOMModule returns
	// from _start without proc_exit, and trapModule traps: neither closes
	// its instance by itself.
	grow := Job{Module: rustOOMModule(160, "unused")}
	run(t, e, grow)
	run(t, e, Job{Module: trapModule()})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range 20 {
		require.True(t, run(t, e, grow).Succeeded())
		run(t, e, Job{Module: trapModule()})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	assert.Less(t, grown, int64(20<<20), "heap grew by %d bytes over 20 runs of 10 MiB each", grown)
}

func TestCanceledContextDoesNotStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := shared(t).Run(ctx, Job{Module: nopModule(1)})
	assert.ErrorIs(t, err, context.Canceled)
}
