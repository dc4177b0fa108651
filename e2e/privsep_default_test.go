package e2e

// Issue 15, the split by default: the suite's own service runs as serve
// does by default, this process the keeper and the front door a child
// under front_door.uid. These tests look at that front door while the
// rest of the suite goes through it.

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The process that serves the suite's requests holds the listening
// socket, runs as front_door.uid (not root, not the jail's 65534) with
// every capability set empty on every thread, no_new_privs and a seccomp
// filter; this process, the keeper, does not hold the listener.
func TestTheSuitesHTTPServerHoldsNoPrivilege(t *testing.T) {
	if frontDoorPid == 0 {
		t.Skip("the suite runs without the split (ROCKET_SANDBOX_FRONT_DOOR_UID=0)")
	}
	uid := strconv.Itoa(mainConfig.FrontDoor.UID)
	require.NotEqual(t, "0", uid)
	require.NotEqual(t, strconv.Itoa(mainConfig.Jail.UID), uid)
	u, err := url.Parse(baseURL)
	require.NoError(t, err)
	port, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	inode := listeningInode(t, port)
	assert.True(t, holdsSocket(t, frontDoorPid, inode), "the front door holds the listener")
	assert.False(t, holdsSocket(t, os.Getpid(), inode), "the keeper does not")

	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", frontDoorPid))
	require.NoError(t, err)
	require.NotEmpty(t, tasks)
	for _, task := range tasks {
		st := procStatus(t, frontDoorPid, "task", task.Name())
		assert.Equal(t, strings.Repeat(uid+"\t", 3)+uid, st["Uid"], "thread %s", task.Name())
		assert.Equal(t, strings.Repeat(uid+"\t", 3)+uid, st["Gid"], "thread %s", task.Name())
		assert.Equal(t, "", st["Groups"])
		for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
			assert.Equal(t, "0000000000000000", st[set], "%s of thread %s", set, task.Name())
		}
		assert.Equal(t, "1", st["NoNewPrivs"], "thread %s", task.Name())
		assert.Equal(t, "2", st["Seccomp"], "thread %s", task.Name())
	}
}

// The suite's run workers: this process's children (the keeper started
// them) running as the jail's uid. Between requests no compile runs, so
// they are all there is.
func suiteWorkers(t *testing.T) []int {
	t.Helper()
	var out []int
	for _, pid := range childrenOf(t, os.Getpid()) {
		st := procStatus(t, pid)
		if f := strings.Fields(st["Uid"]); len(f) > 0 && f[0] == strconv.Itoa(mainConfig.Jail.UID) {
			out = append(out, pid)
		}
	}
	return out
}

// Through the split service as it runs by default: a run worker (started
// by the keeper, talking to the front door) SIGKILLed mid-run gives that
// request 500 internal_error; the keeper reports its end, the front door
// asks for a replacement, and the next request is served.
func TestKillingTheSuitesWorkerMidRun(t *testing.T) {
	if frontDoorPid == 0 {
		t.Skip("the suite runs without the split (ROCKET_SANDBOX_FRONT_DOOR_UID=0)")
	}
	loop := map[string]any{"harness": "program", "stub": "fn main() { println!(\"spinning in the split\"); let mut i: u64 = 0; loop { i = i.wrapping_add(1); std::hint::black_box(i); } }"}
	code, raw := postTo(t, baseURL, loop) // compiled, and a timeout
	require.Equal(t, http.StatusOK, code, "%s", raw)
	require.Equal(t, "timeout", string(decodeResponse(t, raw).Status))

	before := suiteWorkers(t)
	require.NotEmpty(t, before)
	done := make(chan []byte, 1)
	go func() {
		code, raw := postTo(t, baseURL, map[string]any{"harness": "program", "stub": loop["stub"], "seed": 7})
		assert.Equal(t, http.StatusInternalServerError, code)
		done <- raw
	}()
	require.Eventually(t, func() bool { return busyWorker(before) }, 10*time.Second, 5*time.Millisecond)
	for _, pid := range before {
		require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	}
	raw = <-done
	assert.Equal(t, "internal_error", decodeProblem(t, raw).Status)

	code, raw = postTo(t, baseURL, map[string]any{"harness": "program", "stub": "fn main() { println!(\"after the kill\"); }"})
	require.Equal(t, http.StatusOK, code, "%s", raw)
	r := decodeResponse(t, raw)
	assert.Equal(t, "ok", string(r.Status))
	assert.Equal(t, "after the kill\n", r.Run.Stdout)
	assert.Eventually(t, func() bool {
		now := suiteWorkers(t)
		for _, pid := range now {
			if slices.Contains(before, pid) {
				return false
			}
		}
		return len(now) == len(before)
	}, time.Minute, 10*time.Millisecond, "every killed worker is replaced")
}
