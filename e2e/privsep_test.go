package e2e

// Issue 15, privilege separation: the modules run in jailed run workers.
// These tests start a second service beside the suite's, with workers,
// and hold it to the first's answers.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/parity"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// startInProcessService starts the suite's configuration in this
// process, with or without run workers, on a port of its own. It shares
// the module store's disk tier with the suite's service, so nothing is
// compiled twice, but not the memo: every request is run again. This
// process is root: what it writes into the store, which is the front
// door's with the split, is given back to the front door's uid after the
// test, so the suite's service can still read and replace it.
func startInProcessService(t *testing.T, workers bool) (string, *app.App) {
	t.Helper()
	cfg := mainConfig
	cfg.Workers.Enabled = workers
	cfg.FrontDoor.UID = 0 // in process: app.New has no front door
	cfg.Cache.Results.Disabled = true
	cfg.Cache.Shares.Dir = t.TempDir()
	cfg.Runtime.CompilationCacheDir = t.TempDir()
	// A jail of its own: the suite's service holds this process's.
	cfg.Jail.CgroupParent = "rocket-sandbox-jail-e2e-workers"
	cfg.Jail.StateDir = "/run/rocket-sandbox/jail-e2e-workers"
	a, err := app.New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		a.Close(context.Background())
		if uid := mainConfig.FrontDoor.UID; uid != 0 {
			require.NoError(t, chownTree(mainConfig.Cache.Modules.Dir, uid))
		}
	})
	srv := server.New(cfg.Server, a.Service(), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Listener(ln)
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String(), a
}

func postTo(t *testing.T, url string, req map[string]any) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(req)
	require.NoError(t, err)
	resp, err := http.Post(url+"/api/v1/execute", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

// chownTree gives dir and everything below it to uid (and gid).
func chownTree(dir string, uid int) error {
	return filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	})
}

func TestPrivsepWorkers(t *testing.T) {
	// Every block of the guide gives the same answer, apart from
	// timings, in a worker as in process: the suite's service (workers,
	// unless ROCKET_SANDBOX_WORKERS=false) against one in this process
	// without workers.
	t.Run("the guide's results are the same bytes in workers", func(t *testing.T) {
		url, _ := startInProcessService(t, !mainConfig.Workers.Enabled)
		blocks, err := parity.Extract(guideDir)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(blocks), 104)
		ran := 0
		for _, b := range blocks {
			attrs, _ := json.Marshal(map[string]string{"attrs": b.Attrs})
			req := map[string]any{"harness": "example", "stub": b.Code, "args": json.RawMessage(attrs)}
			code, suites := postTo(t, baseURL, req)
			require.Equal(t, http.StatusOK, code, "%s:%d: %s", b.File, b.Line, suites)
			code, other := postTo(t, url, req)
			require.Equal(t, http.StatusOK, code, "%s:%d: %s", b.File, b.Line, other)
			want, err := sandbox.WithoutVolatile(suites)
			require.NoError(t, err)
			got, err := sandbox.WithoutVolatile(other)
			require.NoError(t, err)
			assert.Equal(t, want, got, "%s:%d", b.File, b.Line)
			if _, ok := got["run"]; ok {
				ran++
			}
		}
		assert.Greater(t, ran, 50, "most blocks ran a module")
	})

	// A worker killed while it runs a program is the service's failure
	// for that request (500 internal_error); the next request is served
	// by its replacement.
	t.Run("a worker killed mid-run is internal_error and the next run succeeds", func(t *testing.T) {
		url, a := startInProcessService(t, true)
		require.NotEmpty(t, a.Workers().Pids())
		killWorkersMidRun(t, url, a.Workers().Pids)
	})
}

// killWorkersMidRun SIGKILLs the worker (of those workers lists) that
// runs a program sent to url: that request gets 500 internal_error, the
// next is served (by a worker that was idle, or the replacement), and
// the killed worker is replaced. Only the busy one is killed: an idle
// worker killed at the same moment may be handed the next request before
// the pool has seen it die, which says nothing about the run it held.
func killWorkersMidRun(t *testing.T, url string, workers func() []int) {
	t.Helper()
	loop := map[string]any{"harness": "program", "stub": "fn main() { println!(\"spinning\"); let mut i: u64 = 0; loop { i = i.wrapping_add(1); std::hint::black_box(i); } }"}
	code, raw := postTo(t, url, loop) // compiled, and a timeout
	require.Equal(t, http.StatusOK, code, "%s", raw)
	require.Equal(t, "timeout", string(decodeResponse(t, raw).Status))

	before := workers()
	require.NotEmpty(t, before)
	done := make(chan []byte, 1)
	go func() {
		code, raw := postTo(t, url, loop) // timeouts are not memoized: it runs again
		assert.Equal(t, http.StatusInternalServerError, code)
		done <- raw
	}()
	var busy int
	require.Eventually(t, func() bool { busy = busyWorker(before); return busy != 0 }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, syscall.Kill(busy, syscall.SIGKILL))
	raw = <-done
	assert.Equal(t, "internal_error", decodeProblem(t, raw).Status)

	code, raw = postTo(t, url, map[string]any{"harness": "program", "stub": "fn main() { println!(\"after\"); }"})
	require.Equal(t, http.StatusOK, code, "%s", raw)
	r := decodeResponse(t, raw)
	assert.Equal(t, "ok", string(r.Status))
	assert.Equal(t, "after\n", r.Run.Stdout)
	assert.Eventually(t, func() bool {
		now := workers()
		return !slices.Contains(now, busy) && len(now) == len(before)
	}, time.Minute, 10*time.Millisecond, "the killed worker is replaced")
}

// busyWorker is the worker that is running (state R), or 0.
func busyWorker(pids []int) int {
	for _, pid := range pids {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		if err == nil && strings.Contains(string(b), ") R ") {
			return pid
		}
	}
	return 0
}
