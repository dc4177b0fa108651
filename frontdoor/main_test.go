package frontdoor

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/jail/seccomp"
)

// helperEnv makes the test binary a helper that loads the front door's
// seccomp filter and then does what the variable says.
const helperEnv = "FRONTDOOR_TEST_HELPER"

func TestMain(m *testing.M) {
	if what := os.Getenv(helperEnv); what != "" {
		os.Exit(helper(what))
	}
	os.Exit(m.Run())
}

// helper loads the filter as Main does (no_new_privs first, then on every
// thread) and tries one thing. Exit 0: the ordinary work succeeded; 3:
// the refused call returned instead of killing.
func helper(what string) int {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return 2
	}
	prog, err := seccomp.CompileFrontDoor()
	if err != nil {
		return 2
	}
	if err := jail.LoadSeccomp(prog, unix.SECCOMP_FILTER_FLAG_TSYNC); err != nil {
		return 2
	}
	switch what {
	case "exec":
		syscall.Exec("/bin/true", []string{"true"}, nil)
	case "spawn":
		exec.Command("/bin/true").Run()
	case "ptrace":
		unix.PtraceAttach(os.Getppid())
	case "unshare":
		unix.Unshare(unix.CLONE_NEWUSER)
	case "ordinary":
		// What the front door does: files in its stores, TCP (Redis),
		// threads.
		dir := os.Getenv("FRONTDOOR_TEST_DIR")
		if err := os.WriteFile(filepath.Join(dir, "entry"), []byte("x"), 0o600); err != nil {
			return 4
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 5
		}
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return 6
		}
		c.Close()
		ln.Close()
		done := make(chan struct{})
		go func() { runtime.LockOSThread(); close(done) }() // a new thread
		<-done
		return 0
	}
	return 3
}

func runHelper(t *testing.T, what string) error {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+what, "FRONTDOOR_TEST_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	t.Logf("%s: %v %s", what, err, out)
	return err
}

// Under the front door's filter, exec, making a process, ptrace and a new
// namespace kill the process (SIGSYS); what the front door does — files,
// TCP, threads — works.
func TestTheFrontDoorsFilter(t *testing.T) {
	for _, what := range []string{"exec", "spawn", "ptrace", "unshare"} {
		t.Run(what, func(t *testing.T) {
			var ee *exec.ExitError
			require.True(t, errors.As(runHelper(t, what), &ee), "the helper is killed")
			ws := ee.Sys().(syscall.WaitStatus)
			assert.True(t, ws.Signaled() && ws.Signal() == syscall.SIGSYS, "killed by SIGSYS, got %v", ws)
		})
	}
	assert.NoError(t, runHelper(t, "ordinary"))
}
