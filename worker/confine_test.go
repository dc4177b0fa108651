package worker

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// probeEntry is a test helper that runs exactly as a worker runs (the
// same jail.Resident as the pool's workers) and tries what a worker
// escaping wazero would: it reads one command from its connection, tries
// it, and writes back what happened — if it is still alive.
const probeEntry = "worker-probe"

func init() {
	jail.RegisterEntry(probeEntry, probe)
}

func probe(conn *os.File) int {
	cmd := make([]byte, 16)
	n, _ := conn.Read(cmd)
	var err error
	switch string(cmd[:n]) {
	case "open":
		_, err = unix.Open("/etc/passwd", unix.O_RDONLY, 0)
	case "open-proc":
		_, err = unix.Open("/proc/self/status", unix.O_RDONLY, 0)
	case "create":
		_, err = unix.Open("/x", unix.O_CREAT|unix.O_WRONLY, 0o600)
	case "socket-inet":
		_, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	case "socket-unix":
		_, err = unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	case "exec":
		err = unix.Exec("/bin/sh", []string{"sh"}, nil)
	case "fork":
		_, _, errno := unix.RawSyscall(unix.SYS_FORK, 0, 0, 0)
		err = errno
	case "clone-process":
		// A new process rather than a thread. Were it allowed, the
		// child leaves at once.
		pid, _, errno := unix.RawSyscall(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0)
		if errno == 0 && pid == 0 {
			unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
		}
		if errno != 0 {
			err = errno
		}
	case "ok":
	}
	fmt.Fprintf(conn, "survived: %v", err)
	return 0
}

// tryInWorker starts the probe as a worker and has it try cmd; it returns
// what the probe wrote and how it ended.
func tryInWorker(t *testing.T, p *Pool, cmd string) (string, int, bool) {
	t.Helper()
	proc, mine, err := p.starter.Start(p.resident(probeEntry))
	require.NoError(t, err)
	defer mine.Close()
	_, err = mine.Write([]byte(cmd))
	require.NoError(t, err)
	said, _ := io.ReadAll(mine)
	exit := proc.Wait()
	require.NoError(t, exit.Err)
	return string(said), exit.ExitCode, exit.Signaled
}

// Inside a worker, opening or creating any file and starting a process
// with clone are refused, and making a socket, exec'ing a program or
// forking kills the worker (SIGSYS).
func TestAWorkerCannotOpenMakeSocketsOrExec(t *testing.T) {
	p := newPool(t, newJail(t), 1)
	said, code, signaled := tryInWorker(t, p, "ok")
	require.Equal(t, "survived: <nil>", said, "the probe runs (exit %d, signaled %v)", code, signaled)

	for _, cmd := range []string{"open", "open-proc", "create", "clone-process"} {
		said, code, _ := tryInWorker(t, p, cmd)
		assert.Equal(t, "survived: operation not permitted", said, cmd)
		assert.Equal(t, 0, code, cmd)
	}
	for _, cmd := range []string{"socket-inet", "socket-unix", "exec", "fork"} {
		said, code, signaled := tryInWorker(t, p, cmd)
		assert.Empty(t, said, cmd)
		assert.True(t, signaled, cmd)
		assert.Equal(t, 128+int(syscall.SIGSYS), code, "%s: killed by seccomp", cmd)
	}
}
