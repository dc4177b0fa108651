package e2e

// Issue 15, the split by default: the suite's own service runs as serve
// does by default, this process the keeper and the front door a child
// under front_door.uid. These tests look at that front door while the
// rest of the suite goes through it.

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

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
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue // it ended meanwhile
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Uid:"); ok && strings.Fields(v)[0] == strconv.Itoa(mainConfig.Jail.UID) {
				out = append(out, pid)
			}
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
	killWorkersMidRun(t, baseURL, func() []int { return suiteWorkers(t) })
}
