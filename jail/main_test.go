package jail

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
)

// helperBin is the statically linked test helper (testdata/helper), built
// by TestMain into helperDir, which the test policy binds read-only.
var helperDir, helperBin string

func TestMain(m *testing.M) {
	// The test binary is also the jail's init: the jail re-executes
	// /proc/self/exe, and this turns that process into the init.
	MaybeInit()
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jail-helper-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	helperDir, helperBin = dir, filepath.Join(dir, "helper")
	goTool, err := exec.LookPath("go")
	if err != nil && os.Getenv("GOROOT") != "" {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	build := exec.Command(goTool, "build", "-o", helperBin, "./testdata/helper")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build helper:", err)
		return 1
	}
	return m.Run()
}

// testPolicy binds what sh, coreutils, rustc and the helper need.
func testPolicy(t testing.TB) Policy {
	t.Helper()
	state := t.TempDir()
	return Policy{
		ReadOnlyPaths: []string{"/bin", "/lib", "/lib64", "/usr", helperDir},
		CgroupParent:  "rocket-jail-test-" + filepath.Base(state),
		StateDir:      state,
	}
}

// requireRoot skips a jail test where it cannot run (not root); in CI,
// which runs as root, a missing privilege is a failure, never a skip.
func requireRoot(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t, "the jail")
}

func newTestJail(t testing.TB, mutate ...func(*Policy)) *Jail {
	t.Helper()
	requireRoot(t)
	p := testPolicy(t)
	for _, f := range mutate {
		f(&p)
	}
	j, err := New(p)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, j.Close()) })
	return j
}

func run(t testing.TB, r interface {
	Run(context.Context, Command) (Result, error)
}, cmd Command) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.Run(ctx, cmd)
	require.NoError(t, err)
	return res
}

func sh(script string) Command {
	return Command{Path: "/bin/sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin"}}
}
