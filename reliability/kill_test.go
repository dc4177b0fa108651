package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jailStateDir is the jail's default state directory (jail.DefaultStateDir).
const jailStateDir = "/run/rocket-sandbox/jail"

// descendants lists the processes below pid, by walking /proc's PPid.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PPid:"); ok {
				pp, _ := strconv.Atoi(strings.TrimSpace(v))
				children[pp] = append(children[pp], p)
			}
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

// leftovers lists what a dead instance (the service process pid) left on
// the host: its jail state dir, cgroups named after it, and mounts naming
// it.
func leftovers(pid int) []string {
	name := "i" + strconv.Itoa(pid)
	var out []string
	if _, err := os.Stat(filepath.Join(jailStateDir, name)); err == nil {
		out = append(out, "state dir "+filepath.Join(jailStateDir, name))
	}
	filepath.WalkDir("/sys/fs/cgroup", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if d.Name() == name && strings.Contains(p, "rocket-sandbox-jail") {
			out = append(out, "cgroup "+p)
			return filepath.SkipDir
		}
		if strings.Count(p, "/") > 12 {
			return filepath.SkipDir
		}
		return nil
	})
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "rocket-sandbox/jail/"+name) {
				out = append(out, "mount "+l)
			}
		}
	}
	return out
}

// killWhile kills the service with SIGKILL once phase says the request in
// flight is where the test wants it, then checks that every process it had
// is gone within a few seconds. It returns the dead instance's pid.
func killWhile(t *testing.T, s *service, req map[string]any, phase func(kids []int) bool) int {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.execute(context.Background(), req) // its connection dies with the service
	}()
	var kids []int
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		kids = descendants(s.pid())
		if phase(kids) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.True(t, time.Now().Before(deadline), "the request never reached the phase to kill in")
	pid := s.pid()
	s.kill9()
	<-done
	gone := time.Now().Add(10 * time.Second)
	for _, k := range kids {
		for alive(k) && time.Now().Before(gone) {
			time.Sleep(20 * time.Millisecond)
		}
		assert.False(t, alive(k), "process %d of the killed service outlives it", k)
	}
	return pid
}

// isRustc says whether pid is a compiler process.
func isRustc(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	return err == nil && strings.TrimSpace(string(b)) == "rustc"
}

// A Rocket app that takes a second or two to compile, so there is a
// compile to kill.
const appStub = `#[macro_use] extern crate rocket;
use rocket::serde::json::Json;
#[derive(serde::Serialize)]
struct Item { id: u32, name: &'static str }
#[get("/items/<id>")]
fn item(id: u32) -> Json<Item> { Json(Item { id, name: "kill9" }) }
#[launch]
fn rocket() -> _ { rocket::build().mount("/", routes![item]) }
`

// TestKill9MidCompileThenRestart: SIGKILL while rustc runs in the jail.
// The jail's processes die with the service; the next instance's start-up
// recovery removes the dead one's state dir and cgroups; no mount is left;
// and the caches answer the same request correctly afterwards.
func TestKill9MidCompileThenRestart(t *testing.T) {
	caches := cacheDir(t)
	a := start(t, options{cacheDir: caches})
	req := map[string]any{"harness": "serve", "stub": appStub, "args": map[string]any{"uri": "/items/7"}}
	// The front door and the run workers are the service's descendants
	// for its whole life: the compile is a rustc among them.
	dead := killWhile(t, a, req, func(kids []int) bool { return slices.ContainsFunc(kids, isRustc) })

	b := start(t, options{cacheDir: caches})
	assert.Empty(t, leftovers(dead), "the dead instance's leftovers after the next start")
	code, _, body, err := b.execute(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, 200, code, "%s", body)
	var r struct {
		Status string `json:"status"`
		Run    struct {
			Result struct {
				Responses []struct {
					Status int    `json:"status"`
					Body   string `json:"body"`
				} `json:"responses"`
			} `json:"result"`
		} `json:"run"`
	}
	require.NoError(t, json.Unmarshal(body, &r))
	assert.Equal(t, "ok", r.Status, "%s", body)
	require.Len(t, r.Run.Result.Responses, 1, "%s", body)
	assert.Equal(t, `{"id":7,"name":"kill9"}`, r.Run.Result.Responses[0].Body)
}

// loopStub compiles fast and then runs until its deadline.
const loopStub = "fn main() {\n    let mut x: u64 = 1;\n    loop {\n        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);\n        if x == 0 { break; }\n    }\n    println!(\"{}\", x);\n}\n"

// TestKill9MidRunThenRestart: SIGKILL while the guest runs (the compile
// is over: the service has no jail processes left, and the request is
// still pending). Nothing is left behind, and after a restart the same
// caches serve a new request and the killed one again, correctly.
func TestKill9MidRunThenRestart(t *testing.T) {
	caches := cacheDir(t)
	a := start(t, options{cacheDir: caches, runTimeoutMS: 3000})
	req := map[string]any{"harness": "program", "stub": loopStub}
	compiled := false
	// The compile is a rustc among the service's descendants; run
	// workers (ROCKET_SANDBOX_WORKERS=true) are descendants for the
	// service's whole life, so "no descendants" cannot mean "running".
	dead := killWhile(t, a, req, func(kids []int) bool {
		if slices.ContainsFunc(kids, isRustc) {
			compiled = true // the compile is under way
			return false
		}
		return compiled // it was, and has ended: the guest runs now
	})

	b := start(t, options{cacheDir: caches, runTimeoutMS: 3000})
	assert.Empty(t, leftovers(dead))
	code, _, body, err := b.execute(context.Background(), map[string]any{"harness": "program", "stub": helloStub(9)})
	require.NoError(t, err)
	require.Equal(t, 200, code, "%s", body)
	assert.Contains(t, string(body), `"stdout":"hello 9\n"`)
	code, _, body, err = b.execute(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, 200, code, "%s", body)
	assert.Contains(t, string(body), `"status":"timeout"`, "the killed request, sent again, runs to its deadline")
}
