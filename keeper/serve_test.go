package keeper

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"
	"github.com/rocket-sandbox/rocket-sandbox/internal/testenv"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/worker"
)

// emptyStart is (module (func (export "_start"))).
var emptyStart = []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
	1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 7, 10, 1, 6, '_', 's', 't', 'a', 'r', 't', 0, 0, 10, 4, 1, 2, 0, 0x0b}

// keeperPair starts a keeper on one end of a socketpair and returns the
// other end, and a function that waits for Serve's error.
func keeperPair(t *testing.T) (*net.UnixConn, func() error) {
	t.Helper()
	testenv.RequireRoot(t, "start jails")
	state := t.TempDir()
	j, err := jail.New(jail.Policy{CgroupParent: "rocket-keeper-test-" + filepath.Base(state), StateDir: state,
		ReadOnlyPaths: []string{"/bin", "/lib", "/lib64", "/usr"}})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, j.Close()) })
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	require.NoError(t, err)
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "keeper")
		defer f.Close()
		c, err := net.FileConn(f)
		require.NoError(t, err)
		return c.(*net.UnixConn)
	}
	mine, theirs := conn(fds[0]), conn(fds[1])
	k := &Keeper{Policy: NewPolicy([]string{"/usr/bin/env", rustc}, 1<<20, jail.MaxLimits(), "run-worker"), Jail: j,
		Starter: worker.InJail(j), Resident: jail.Resident{MemoryBytes: 512 << 20, Pids: 256, OpenFiles: 32}}
	var serveErr error
	done := make(chan struct{})
	go func() { serveErr = k.Serve(context.Background(), theirs); theirs.Close(); close(done) }()
	t.Cleanup(func() { mine.Close(); <-done })
	return mine, func() error { <-done; return serveErr }
}

// The front door's client compiles and runs workers only through the
// keeper: a compile of the allowed program runs jailed and answers; one
// of another program is refused by field; a worker started by the keeper
// (its connection passed over the socket) runs a module with the same
// result as in process, and when it is killed the keeper reports its end
// and the pool's next run is served by a replacement.
func TestCompilesAndWorkersGoThroughTheKeeper(t *testing.T) {
	conn, _ := keeperPair(t)
	c := NewClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	res, err := c.Run(ctx, jail.Command{Path: "/usr/bin/env", Env: []string{"A=1"}, Files: map[string][]byte{"in": []byte("x")}, Collect: []string{"in"}})
	require.NoError(t, err)
	assert.Equal(t, "A=1\n", string(res.Stdout))
	assert.Equal(t, []byte("x"), res.Files["in"])
	// Standard input crosses too (rustfmt reads the stub there).
	res, err = c.Run(ctx, jail.Command{Path: "/usr/bin/env", Args: []string{"cat"}, Env: []string{"PATH=/usr/bin:/bin"}, Stdin: []byte("from stdin")})
	require.NoError(t, err)
	assert.Equal(t, "from stdin", string(res.Stdout))
	_, err = c.Run(ctx, jail.Command{Path: "/bin/sh", Args: []string{"-c", "id"}})
	assert.ErrorContains(t, err, "compile.path")
	_, err = c.Run(ctx, jail.Command{Path: "/usr/bin/env", Limits: jail.Limits{MemoryBytes: jail.MaxLimits().MemoryBytes + 1}})
	assert.ErrorContains(t, err, "compile.limits.memory_bytes")

	rt := wasmrt.Config{Engine: wasmrt.EngineCompiler, TimeoutMS: 3000, MemoryLimitBytes: 64 << 20}
	pool, err := worker.New(worker.Config{Enabled: true, Count: 1}, rt, 1<<20, c, nil)
	require.NoError(t, err)
	defer pool.Close()
	local, err := wasmrt.New(ctx, rt)
	require.NoError(t, err)
	defer local.Close(ctx)
	job := wasmrt.Job{Module: emptyStart, Args: []string{"main"}}
	want, err := local.Run(ctx, job)
	require.NoError(t, err)
	got, err := pool.Run(ctx, job)
	require.NoError(t, err)
	assert.Equal(t, withoutTimes(want), withoutTimes(got))

	pid := pool.Pids()[0]
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	require.Eventually(t, func() bool { p := pool.Pids(); return len(p) == 1 && p[0] != pid }, time.Minute, 10*time.Millisecond,
		"the keeper reports the worker's end and the pool replaces it")
	got, err = pool.Run(ctx, job)
	require.NoError(t, err)
	assert.Equal(t, withoutTimes(want), withoutTimes(got))
}

// A malformed frame ends the keeper's conversation with the front door:
// Serve returns, saying why, rather than guess at what was meant.
func TestAMalformedRequestEndsTheConversation(t *testing.T) {
	conn, served := keeperPair(t)
	require.NoError(t, frame.Write(conn, 42, []byte{1}))
	assert.ErrorContains(t, served(), "unknown request type 42")
}

func withoutTimes(r wasmrt.Result) wasmrt.Result {
	r.Duration, r.CPU, r.PeakMemoryBytes = 0, 0, 0
	return r
}

// endlessConstEval keeps rustc evaluating a constant until it is killed:
// the lint that would stop it is allowed.
const endlessConstEval = "#![allow(long_running_const_eval)]\npub static X: u64 = { let mut i = 0u64; loop { i = i.wrapping_add(1); } };\n"

// A compile the front door stops waiting for is stopped: the client sends
// a cancel request, the keeper kills that compile's jail, and its rustc
// is gone long before the compile's own limits (two minutes) would have
// ended it. The keeper goes on serving.
func TestACanceledCompilesRustcIsGone(t *testing.T) {
	conn, _ := keeperPair(t)
	c := NewClient(conn)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Run(ctx, jail.Command{Path: rustc, Args: []string{"--crate-type=lib", "--emit=metadata", "-o", "x.rmeta", "main.rs"},
			Files:  map[string][]byte{"main.rs": []byte(endlessConstEval)},
			Limits: jail.Limits{WallTimeMS: 120_000, CPUTimeMS: 120_000}})
		errc <- err
	}()
	var rustcs []int
	require.Eventually(t, func() bool {
		rustcs = rustcProcesses(t)
		return len(rustcs) > 0
	}, time.Minute, 20*time.Millisecond, "the compile's rustc runs")
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	assert.Eventually(t, func() bool {
		for _, pid := range rustcs {
			if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "the canceled compile's rustc is gone before its limits")
	assert.Empty(t, rustcProcesses(t), "no compile is left")

	res, err := c.Run(context.Background(), jail.Command{Path: "/usr/bin/env", Env: []string{"A=1"}})
	require.NoError(t, err, "the keeper serves on")
	assert.Equal(t, "A=1\n", string(res.Stdout))
}

// rustcProcesses lists this process's descendants named rustc.
func rustcProcesses(t *testing.T) []int {
	t.Helper()
	parent := map[int]int{}
	comm := map[int]string{}
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at
		// the last parenthesis.
		st := string(b)
		open, close := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || close < open {
			continue
		}
		fields := strings.Fields(st[close+1:])
		if len(fields) < 2 {
			continue
		}
		parent[pid], _ = strconv.Atoi(fields[1])
		comm[pid] = st[open+1 : close]
	}
	var out []int
	for pid, name := range comm {
		if name != "rustc" {
			continue
		}
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == os.Getpid() {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}
