package e2e

// Issue 15, the front door: serve with front_door.uid splits into a root
// keeper and an unprivileged front door. This test builds the binary and
// runs it as an operator would, then looks at the real processes.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/internal/testenv"
)

// frontDoorUID is the test's front_door.uid: neither root's nor the
// jail's.
const frontDoorUID = 64123

// The HTTP-serving process is the front door: it, and not the keeper,
// holds the listening socket; its uid is front_door.uid in every slot, its
// capability sets are empty (the bounding set too), no_new_privs is set
// and a seccomp filter is loaded, on every thread. Profiles
// (ROCKET_SANDBOX_PPROF_LISTEN) are served by the front door. A program compiled
// through the keeper and run in a worker it started is answered as usual.
func TestTheFrontDoorHoldsNoPrivilege(t *testing.T) {
	testenv.RequireRoot(t, "start the split service")
	dir, err := os.MkdirTemp("", "rocket-sandbox-e2e-split-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755)) // the front door reaches its caches through it
	bin := filepath.Join(dir, "rocket-sandbox")
	build := exec.Command("go", "build", "-o", bin, "..")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	port := freePort(t)
	cfg := map[string]any{
		"listen":     "127.0.0.1:" + strconv.Itoa(port),
		"state_dir":  mainConfig.StateDir,
		"workers":    map[string]any{"enabled": true, "count": 1},
		"front_door": map[string]any{"uid": frontDoorUID},
		"cache": map[string]any{
			"results": map[string]any{"dir": filepath.Join(dir, "results")},
			"modules": map[string]any{"dir": filepath.Join(dir, "modules")},
			"shares":  map[string]any{"dir": filepath.Join(dir, "shares")},
		},
		// A jail of its own: the suite's service holds this process's.
		"jail": map[string]any{"cgroup_parent": "rocket-sandbox-jail-e2e-split", "state_dir": "/run/rocket-sandbox/jail-e2e-split"},
	}
	cfgPath := filepath.Join(dir, "config.json")
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cfgPath, b, 0o644))

	var logs bytes.Buffer
	pprofPort := freePort(t)
	serve := exec.Command(bin, "serve", "--config", cfgPath)
	serve.Env = append(os.Environ(), fmt.Sprintf("ROCKET_SANDBOX_PPROF_LISTEN=127.0.0.1:%d", pprofPort))
	serve.Stdout, serve.Stderr = &logs, &logs
	require.NoError(t, serve.Start())
	exited := make(chan struct{})
	go func() { serve.Wait(); close(exited) }()
	t.Cleanup(func() {
		serve.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			serve.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("serve's log:\n%s", logs.String())
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	require.Eventually(t, func() bool {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 2*time.Minute, 100*time.Millisecond, "the split service answers")

	keeperPid := serve.Process.Pid
	var front []int
	for _, pid := range childrenOf(t, keeperPid) {
		if procStatus(t, pid)["Uid"] != "" && strings.Fields(procStatus(t, pid)["Uid"])[0] == strconv.Itoa(frontDoorUID) {
			front = append(front, pid)
		}
	}
	require.Len(t, front, 1, "one front door, a child of the keeper")
	// Every thread: uid, gid, capabilities and no_new_privs are each
	// thread's own.
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", front[0]))
	require.NoError(t, err)
	for _, task := range tasks {
		st := procStatus(t, front[0], "task", task.Name())
		assert.Equal(t, strings.Repeat(strconv.Itoa(frontDoorUID)+"\t", 3)+strconv.Itoa(frontDoorUID), st["Uid"])
		assert.Equal(t, strings.Repeat(strconv.Itoa(frontDoorUID)+"\t", 3)+strconv.Itoa(frontDoorUID), st["Gid"])
		assert.Equal(t, "", st["Groups"])
		for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
			assert.Equal(t, "0000000000000000", st[set], "%s of thread %s", set, task.Name())
		}
		assert.Equal(t, "1", st["NoNewPrivs"], "thread %s", task.Name())
		assert.Equal(t, "2", st["Seccomp"], "thread %s: a seccomp filter", task.Name())
	}
	assert.Equal(t, "0", strings.Fields(procStatus(t, keeperPid)["Uid"])[0], "the keeper is root")

	inode := listeningInode(t, port)
	assert.True(t, holdsSocket(t, front[0], inode), "the front door holds the listener")
	assert.False(t, holdsSocket(t, keeperPid, inode), "the keeper does not")

	// Profiles, when asked for, are the front door's: it serves them.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", pprofPort))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, holdsSocket(t, front[0], listeningInode(t, pprofPort)), "the front door serves the profiles")

	code, raw := postTo(t, url, map[string]any{"harness": "program", "stub": readTestdata(t, "hello.rs")})
	require.Equal(t, http.StatusOK, code, "%s", raw)
	r := decodeResponse(t, raw)
	assert.Equal(t, outcome.StatusOK, r.Status)
	require.NotNil(t, r.Run)
	assert.Contains(t, r.Run.Stdout, `Some("Hello, world!")`)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// childrenOf lists pid's children, from every one of its threads.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	require.NoError(t, err)
	var kids []int
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			n, err := strconv.Atoi(f)
			require.NoError(t, err)
			kids = append(kids, n)
		}
	}
	return kids
}

// procStatus reads /proc/<pid>[/task/<tid>]/status into its fields.
func procStatus(t *testing.T, pid int, task ...string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(append(append([]string{"/proc", strconv.Itoa(pid)}, task...), "status")...))
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		out[k] = strings.TrimSpace(v)
	}
	return out
}

// listeningInode is the inode of the socket listening on 127.0.0.1:port.
func listeningInode(t *testing.T, port int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	require.NoError(t, err)
	want := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && f[1] == want && f[3] == "0A" { // TCP_LISTEN
			return f[9]
		}
	}
	t.Fatalf("nothing listens on port %d", port)
	return ""
}

// holdsSocket says whether pid has the socket inode open.
func holdsSocket(t *testing.T, pid int, inode string) bool {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err)
	for _, fd := range fds {
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && l == "socket:["+inode+"]" {
			return true
		}
	}
	return false
}
