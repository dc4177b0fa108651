package runtime

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Guest modules built from testdata once per test binary.
var (
	guestWasm []byte // testdata/guest: WASI behaviours
	vsockWasm []byte // testdata/vsockguest: the sandbox_vsock ABI

	sharedOnce   sync.Once
	sharedEngine *Engine
	sharedErr    error
	cacheDir     string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "runtime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cacheDir = filepath.Join(dir, "cache")

	// The two builds run in parallel; each is a few seconds cold.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := []*[]byte{&guestWasm, &vsockWasm}
	for i, name := range []string{"guest", "vsockguest"} {
		wg.Go(func() {
			*outs[i], errs[i] = buildGuest(dir, name)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}

	code := m.Run()
	if sharedEngine != nil {
		if err := sharedEngine.Close(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "close shared engine:", err)
			return 1
		}
	}
	return code
}

// buildGuest compiles ./testdata/NAME for wasip1. go test puts its own
// toolchain first on PATH.
func buildGuest(dir, name string) ([]byte, error) {
	out := filepath.Join(dir, name+".wasm")
	cmd := exec.Command("go", "build", "-o", out, "./testdata/"+name)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build testdata/%s: %w\n%s", name, err, msg)
	}
	return os.ReadFile(out)
}

// shared returns an Engine with the default Config (on-disk cache so that
// test engines share compiled code), for tests that need nothing special:
// the Go guests are then compiled once for the whole binary.
func shared(t *testing.T) *Engine {
	t.Helper()
	sharedOnce.Do(func() {
		// The compiler alone: EngineAuto's background compiles would land in
		// other tests' measurements (heap, compile counts).
		sharedEngine, sharedErr = New(context.Background(), Config{CompilationCacheDir: cacheDir, Engine: EngineCompiler})
	})
	require.NoError(t, sharedErr)
	return sharedEngine
}

// newEngine returns a fresh Engine closed at the end of the test.
func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	if cfg.Engine == "" {
		// The compiler alone, so compile counts are exact; EngineAuto has
		// its own tests.
		cfg.Engine = EngineCompiler
	}
	e, err := New(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, e.Close(context.Background())) })
	return e
}

// run runs job and fails the test on an error.
func run(t *testing.T, e *Engine, job Job) Result {
	t.Helper()
	res, err := e.Run(context.Background(), job)
	require.NoError(t, err)
	return res
}

// guestJob is a job for the WASI guest in the given mode.
func guestJob(mode string, args ...string) Job {
	return Job{Module: guestWasm, Args: append([]string{"guest", mode}, args...)}
}

// withoutTimes drops the measured fields, which alone may differ between
// two runs of the same job.
func withoutTimes(r Result) Result {
	r.Duration, r.CPU = 0, 0
	return r
}

// exitCode dereferences a Result's exit code for assertions.
func exitCode(t *testing.T, r Result) int32 {
	t.Helper()
	require.NotNil(t, r.ExitCode, "no exit code; trap=%q limit=%q stderr=%q", r.Trap, r.Limit, r.Stderr)
	return *r.ExitCode
}

// within fails if d is not below limit; for generous upper bounds only.
func within(t *testing.T, d, limit time.Duration) {
	t.Helper()
	require.Less(t, d, limit, "took %v", d)
}

// walkFiles calls found for every regular file under dir.
func walkFiles(dir string, found func()) error {
	return filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			found()
		}
		return nil
	})
}
