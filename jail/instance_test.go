package jail

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInstancesDoNotTouchEachOther: a live instance's job survives another
// instance starting up and recovering; a dead instance's leftovers are
// cleaned by RecoverDead.
func TestInstancesDoNotTouchEachOther(t *testing.T) {
	requireRoot(t)
	base := testPolicy(t)
	t.Cleanup(func() {
		// The instances' common parent cgroup, now empty.
		if j, err := New(base); err == nil {
			assert.NoError(t, j.Close())
		}
	})

	// A live instance (this process) with a job in progress.
	live, err := New(base.ForInstance(os.Getpid()))
	require.NoError(t, err)
	defer live.Close()
	done := make(chan Result, 1)
	go func() {
		res, err := live.Run(context.Background(), Command{Path: "/bin/sh", Args: []string{"-c", "sleep 1; echo survived"}})
		assert.NoError(t, err)
		done <- res
	}()
	time.Sleep(200 * time.Millisecond)

	// A dead instance: a process that has exited, whose state dir remains.
	dead := exec.Command("/bin/true")
	require.NoError(t, dead.Run())
	deadPolicy := base.ForInstance(dead.Process.Pid)
	dj, err := New(deadPolicy)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(deadPolicy.StateDir, "stale"), nil, 0o600))
	_ = dj // left open on purpose: a crash does not close

	// Another instance starts: it recovers only the dead one.
	require.NoError(t, RecoverDead(base))
	res := <-done
	assert.Equal(t, 0, res.ExitCode)
	assert.Equal(t, "survived\n", string(res.Stdout), "the live instance's job was not killed")
	_, err = os.Stat(deadPolicy.StateDir)
	assert.True(t, os.IsNotExist(err), "the dead instance's state is gone")
	_, err = os.Stat(base.ForInstance(os.Getpid()).StateDir)
	assert.NoError(t, err, "the live instance's state stays")
}
