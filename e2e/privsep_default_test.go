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
