package worker

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/testenv"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// guestWasm is runtime's WASI test guest, built once per test binary.
var guestWasm []byte

func TestMain(m *testing.M) {
	jail.MaybeInit() // workers are this test binary, re-executed by the jail
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "worker-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "guest.wasm")
	cmd := exec.Command("go", "build", "-o", out, "../runtime/testdata/guest")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the guest: %v\n%s", err, msg)
		return 1
	}
	if guestWasm, err = os.ReadFile(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// newJail is a jail for workers, removed after the test.
func newJail(t *testing.T) *jail.Jail {
	t.Helper()
	testenv.RequireRoot(t, "run workers")
	state := t.TempDir()
	j, err := jail.New(jail.Policy{CgroupParent: "rocket-worker-test-" + filepath.Base(state), StateDir: state})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, j.Close()) })
	return j
}

// testRuntime is a small, quick engine configuration.
func testRuntime() wasmrt.Config {
	return wasmrt.Config{Engine: wasmrt.EngineCompiler, TimeoutMS: 3000, MemoryLimitBytes: 128 << 20}
}

// newPool starts a pool of n workers in j, closed after the test.
func newPool(t *testing.T, j *jail.Jail, n int, mutate ...func(*Config)) *Pool {
	t.Helper()
	cfg := Config{Enabled: true, Count: n}
	for _, f := range mutate {
		f(&cfg)
	}
	p, err := New(cfg, testRuntime(), 16<<20, InJail(j), nil)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

func guestJob(mode string, args ...string) wasmrt.Job {
	return wasmrt.Job{Module: guestWasm, Args: append([]string{"guest", mode}, args...)}
}

func runOK(t *testing.T, p *Pool, job wasmrt.Job) wasmrt.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := p.Run(ctx, job)
	require.NoError(t, err)
	return res
}

func withoutTimes(r wasmrt.Result) wasmrt.Result {
	r.Duration, r.CPU = 0, 0
	return r
}
