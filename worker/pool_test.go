package worker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// A job gives the same Result in a worker as in process, whatever the
// guest does: exits, traps, limits, stdin, args, randomness, clocks.
func TestRunsAreTheSameAsInProcess(t *testing.T) {
	p := newPool(t, newJail(t), 1)
	engine, err := wasmrt.New(context.Background(), testRuntime())
	require.NoError(t, err)
	defer engine.Close(context.Background())

	short := wasmrt.Limits{Timeout: 300 * time.Millisecond}
	jobs := map[string]wasmrt.Job{
		"hello":    guestJob("hello"),
		"args":     guestJob("args", "a", "", "ü"),
		"exit":     guestJob("exit", "3"),
		"stdin":    {Module: guestWasm, Args: []string{"guest", "stdin"}, Stdin: []byte("data\x00in")},
		"loop":     {Module: guestWasm, Args: []string{"guest", "loop"}, Limits: short},
		"alloc":    guestJob("alloc", "200"),
		"spam":     guestJob("spam"),
		"rand":     {Module: guestWasm, Args: []string{"guest", "rand"}, Seed: [32]byte{7}},
		"walltime": guestJob("walltime"),
		"sleep":    guestJob("sleep"),
		"world":    guestJob("world"),
		"busy":     guestJob("busy"),
		"no mode":  {Module: guestWasm},
	}
	for name, job := range jobs {
		t.Run(name, func(t *testing.T) {
			want, err := engine.Run(context.Background(), job)
			require.NoError(t, err)
			got := runOK(t, p, job)
			assert.Equal(t, withoutTimes(want), withoutTimes(got))
		})
	}
	_, err = p.Run(context.Background(), wasmrt.Job{Module: []byte("not wasm")})
	require.ErrorIs(t, err, wasmrt.ErrInvalidModule)
	// The worker survived all of it.
	assert.Len(t, p.Pids(), 1)
}

// status reads the fields of a /proc status file.
func status(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	out := map[string]string{}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// A worker runs as uid 65534 with no capability in any set, on every
// thread, no_new_privs, in seccomp filter mode, and its root is empty.
func TestWorkerHoldsNoPrivilege(t *testing.T) {
	p := newPool(t, newJail(t), 1)
	runOK(t, p, guestJob("hello")) // a worker that has run a module
	pids := p.Pids()
	require.Len(t, pids, 1)
	pid := strconv.Itoa(pids[0])

	main := status(t, filepath.Join("/proc", pid, "status"))
	assert.Equal(t, "65534\t65534\t65534\t65534", main["Uid"])
	assert.Equal(t, "65534\t65534\t65534\t65534", main["Gid"])
	assert.Equal(t, "", main["Groups"])
	assert.Equal(t, "0000000000000000", main["CapBnd"], "the bounding set of the thread that set up")
	tasks, err := os.ReadDir(filepath.Join("/proc", pid, "task"))
	require.NoError(t, err)
	require.NotEmpty(t, tasks)
	for _, task := range tasks {
		st := status(t, filepath.Join("/proc", pid, "task", task.Name(), "status"))
		for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapAmb"} {
			assert.Equal(t, "0000000000000000", st[set], "thread %s %s", task.Name(), set)
		}
		assert.Equal(t, "65534\t65534\t65534\t65534", st["Uid"], "thread %s", task.Name())
		assert.Equal(t, "1", st["NoNewPrivs"], "thread %s", task.Name())
		assert.Equal(t, "2", st["Seccomp"], "thread %s: filter mode", task.Name())
	}
	root, err := os.ReadDir(filepath.Join("/proc", pid, "root"))
	require.NoError(t, err)
	assert.Empty(t, root, "a worker's root is empty")
	for _, ns := range []string{"net", "mnt", "pid", "ipc", "uts"} {
		mine, err := os.Readlink("/proc/self/ns/" + ns)
		require.NoError(t, err)
		its, err := os.Readlink(filepath.Join("/proc", pid, "ns", ns))
		require.NoError(t, err)
		assert.NotEqual(t, mine, its, "its own %s namespace", ns)
	}
}

// cpuTicks is a process's user+system time in clock ticks.
func cpuTicks(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return -1
	}
	// Fields after the command's closing parenthesis; utime and stime are
	// the 14th and 15th of the line.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// startLoop starts a looping guest in p and returns once its worker is
// burning CPU on it, with the channel its Run reports on.
func startLoop(t *testing.T, p *Pool, ctx context.Context, timeout time.Duration) (int, chan runEnd) {
	t.Helper()
	pids := p.Pids()
	require.Len(t, pids, 1)
	before := cpuTicks(t, pids[0])
	done := make(chan runEnd, 1)
	go func() {
		res, err := p.Run(ctx, wasmrt.Job{Module: guestWasm, Args: []string{"guest", "loop"}, Limits: wasmrt.Limits{Timeout: timeout}})
		done <- runEnd{res, err}
	}()
	for cpuTicks(t, pids[0]) < before+20 { // 0.2 s of CPU: the guest runs
		select {
		case e := <-done:
			t.Fatalf("the run ended early: %+v %v", e.res.Run, e.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return pids[0], done
}

type runEnd struct {
	res wasmrt.Result
	err error
}

// Killing a worker in the middle of a run is the service's failure for
// that run (an error: internal_error), and the next run is served by a
// replacement.
func TestKillingAWorkerMidRunIsAnErrorAndTheNextRunSucceeds(t *testing.T) {
	p := newPool(t, newJail(t), 1)
	runOK(t, p, guestJob("hello"))
	pid, done := startLoop(t, p, context.Background(), 3*time.Second)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	e := <-done
	require.Error(t, e.err)
	assert.Contains(t, e.err.Error(), "worker: lost during the run")

	res := runOK(t, p, guestJob("hello"))
	assert.Equal(t, "hello, world\n", string(res.Stdout))
	require.Len(t, p.Pids(), 1)
	assert.NotEqual(t, pid, p.Pids()[0], "a new worker")
}

// A worker that stops answering (here: stopped) is killed after the run's
// timeout and the hang grace; the run timed out, and the next run is
// served by a replacement.
func TestAHungWorkerIsATimeoutAndIsReplaced(t *testing.T) {
	// The grace also covers compiling a module in the worker (the first
	// run's), which a loaded machine slows down.
	p := newPool(t, newJail(t), 1, func(c *Config) { c.HangGraceMS = 10_000 })
	runOK(t, p, guestJob("hello"))
	pid, done := startLoop(t, p, context.Background(), time.Second)
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	e := <-done
	require.NoError(t, e.err)
	assert.Equal(t, outcome.LimitTime, e.res.Limit)

	res := runOK(t, p, guestJob("hello"))
	assert.Equal(t, "hello, world\n", string(res.Stdout))
	assert.NotEqual(t, pid, p.Pids()[0])
}

// A worker its cgroup kills for memory takes the run with it as a memory
// limit (the guest's), and is replaced.
func TestAWorkerOverItsMemoryIsAMemoryLimit(t *testing.T) {
	j := newJail(t)
	rt := testRuntime()
	rt.MemoryLimitBytes = 1 << 30 // the guest's own cap is far away
	cfg := Config{Enabled: true, Count: 1, MemoryBytes: 160 << 20}
	p, err := New(cfg, rt, 16<<20, InJail(j), nil)
	require.NoError(t, err)
	defer p.Close()
	runOK(t, p, guestJob("hello"))
	pid := p.Pids()[0]

	res := runOK(t, p, guestJob("alloc", "400"))
	assert.Equal(t, outcome.LimitMemory, res.Limit)
	assert.Empty(t, res.Stdout)

	res = runOK(t, p, guestJob("hello"))
	assert.Equal(t, "hello, world\n", string(res.Stdout))
	assert.NotEqual(t, pid, p.Pids()[0])
}

// A caller that goes away stops its run; the worker stays and serves the
// next one.
func TestACanceledRunKeepsItsWorker(t *testing.T) {
	p := newPool(t, newJail(t), 1)
	runOK(t, p, guestJob("hello"))
	ctx, cancel := context.WithCancel(context.Background())
	pid, done := startLoop(t, p, ctx, 3*time.Second)
	cancel()
	e := <-done
	require.Error(t, e.err)
	assert.True(t, errors.Is(e.err, context.Canceled), "%v", e.err)
	assert.Equal(t, []int{pid}, p.Pids(), "the same worker")
	res := runOK(t, p, guestJob("hello"))
	assert.Equal(t, "hello, world\n", string(res.Stdout))
}

// Runs of different modules share the workers; each worker keeps the
// modules it was sent.
func TestModulesAreSentOncePerWorker(t *testing.T) {
	p := newPool(t, newJail(t), 2)
	for range 3 {
		runOK(t, p, guestJob("hello"))
	}
	sent := 0
	p.mu.Lock()
	for _, w := range p.idle {
		sent += len(w.has)
	}
	p.mu.Unlock()
	assert.Equal(t, 1, sent, "one worker got the module, and ran it three times")
}

// compileCount counts the compiles it hears of (wasmrt.CompileObserver).
type compileCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *compileCount) ModuleCompiled(engine string, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[engine]++
}

// The workers' wazero compiles reach the pool's observer, as the
// engine's do in process (the service's compile metrics): a module's
// first run compiles it, the runs after do not.
func TestWorkersReportTheirCompiles(t *testing.T) {
	p := newPool(t, newJail(t), 1)
	c := &compileCount{n: map[string]int{}}
	p.ObserveCompiles(c)
	runOK(t, p, guestJob("hello"))
	c.mu.Lock()
	first := c.n[string(testRuntime().Engine)]
	c.mu.Unlock()
	assert.Equal(t, 1, first, "the first run compiled the module: %v", c.n)
	runOK(t, p, guestJob("hello"))
	c.mu.Lock()
	defer c.mu.Unlock()
	assert.Equal(t, first, c.n[string(testRuntime().Engine)], "the module was kept")
}

// A worker that dies while idle is replaced without waiting for a run.
func TestAWorkerThatDiesIdleIsReplaced(t *testing.T) {
	p := newPool(t, newJail(t), 1)
	pid := p.Pids()[0]
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		pids := p.Pids()
		return len(pids) == 1 && pids[0] != pid
	}, time.Minute, 10*time.Millisecond)
	res := runOK(t, p, guestJob("hello"))
	assert.Equal(t, "hello, world\n", string(res.Stdout))
}

// A job named by its ModuleKey runs without its bytes in a worker that
// holds the module, and is runtime.ErrNoModule where none does.
func TestModulesNamedByKey(t *testing.T) {
	p := newPool(t, newJail(t), 1)
	_, err := p.Run(context.Background(), wasmrt.Job{ModuleKey: "k1", Args: []string{"guest", "hello"}})
	require.ErrorIs(t, err, wasmrt.ErrNoModule)
	assert.False(t, p.Holds("k1"))

	res := runOK(t, p, wasmrt.Job{ModuleKey: "k1", Module: guestWasm, Args: []string{"guest", "hello"}})
	assert.Equal(t, "hello, world\n", string(res.Stdout))
	assert.True(t, p.Holds("k1"))
	res = runOK(t, p, wasmrt.Job{ModuleKey: "k1", Args: []string{"guest", "hello"}})
	assert.Equal(t, "hello, world\n", string(res.Stdout), "run by key alone")
}
