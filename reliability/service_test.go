package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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

	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// binary is the service built once for the package's tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rocket-sandbox-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "rocket-sandbox")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "reliability: build:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// service is one `rocket-sandbox serve` process.
type service struct {
	cmd    *exec.Cmd
	url    string
	config string
	log    *bytes.Buffer
}

// cacheDir makes a directory for a service's stores, removed after the
// test. Unlike t.TempDir's (mode 0700 below a 0700 directory), the front
// door's uid can reach it: serve, split by default, makes the stores below
// it the front door's and refuses a directory that uid cannot reach.
func cacheDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "rocket-sandbox-reliability-cache-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}

// options shape a service's configuration file. The service runs as
// serve does by default: split into a root keeper and a front door under
// front_door.uid, with run workers; ROCKET_SANDBOX_FRONT_DOOR_UID=0 (and
// ROCKET_SANDBOX_WORKERS=false) in the environment, which the service
// reads, run the suite without the split (and the workers).
type options struct {
	cacheDir      string // results, modules, shares and wazero caches live here (cacheDir)
	engine        string // "" = auto
	maxConcurrent int
	maxQueue      int
	queueWaitMS   int
	runTimeoutMS  int
	redisURL      string // the shared tier; "" = a single node
	leaseMS       int    // cache.redis.lease_ms, 0 = the default
}

// start writes a configuration and starts a service with it on a free
// loopback port, the prepared toolchain of `make setup`, and its caches
// in o.cacheDir; it returns once /healthz answers.
func start(t *testing.T, o options) *service {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cfg := map[string]any{
		"listen":    addr,
		"state_dir": toolchain.DefaultStateDir(),
		"cache": map[string]any{
			"results": map[string]any{"dir": filepath.Join(o.cacheDir, "results")},
			"modules": map[string]any{"dir": filepath.Join(o.cacheDir, "modules")},
			"shares":  map[string]any{"dir": filepath.Join(o.cacheDir, "shares")},
		},
		"runtime": map[string]any{"compilation_cache_dir": filepath.Join(o.cacheDir, "wazero")},
	}
	if o.engine != "" {
		cfg["runtime"].(map[string]any)["engine"] = o.engine
	}
	if o.runTimeoutMS > 0 {
		cfg["runtime"].(map[string]any)["timeout_ms"] = o.runTimeoutMS
	}
	if o.redisURL != "" {
		redis := map[string]any{"url": o.redisURL}
		if o.leaseMS > 0 {
			redis["lease_ms"] = o.leaseMS
		}
		cfg["cache"].(map[string]any)["redis"] = redis
	}
	svc := map[string]any{}
	if o.maxConcurrent > 0 {
		svc["max_concurrent"] = o.maxConcurrent
	}
	if o.maxQueue > 0 {
		svc["max_queue"] = o.maxQueue
	}
	if o.queueWaitMS > 0 {
		svc["queue_wait_ms"] = o.queueWaitMS
	}
	if len(svc) > 0 {
		cfg["service"] = svc
	}
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	s := &service{url: "http://" + addr, config: path, log: &bytes.Buffer{}}
	s.cmd = exec.Command(binary, "serve", "--config", path)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	require.NoError(t, s.cmd.Start())
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if code, _, err := s.get("/healthz"); err == nil && code == 200 {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("service did not answer /healthz within 30 s; its log:\n%s", s.log)
	return nil
}

func (s *service) pid() int { return s.cmd.Process.Pid }

// frontDoor lists the service's front door (none without the split): its
// child running as the default front_door.uid.
func (s *service) frontDoor() []int {
	var out []int
	for _, pid := range descendants(s.pid()) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Uid:"); ok && strings.Fields(v)[0] == strconv.Itoa(config.DefaultFrontDoorUID) {
				out = append(out, pid)
			}
		}
	}
	return out
}

// stop ends the service gracefully (if it still runs) and waits for it.
func (s *service) stop() {
	if s.cmd.ProcessState == nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
}

// kill9 kills the service with SIGKILL: nothing of it runs afterwards.
func (s *service) kill9() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
}

var client = &http.Client{Timeout: 120 * time.Second}

func (s *service) get(path string) (int, []byte, error) {
	res, err := client.Get(s.url + path)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// execute sends one JSON request and returns the status, the Retry-After
// header and the body.
func (s *service) execute(ctx context.Context, req map[string]any) (int, string, []byte, error) {
	body, _ := json.Marshal(req)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/api/v1/execute", bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := client.Do(hr)
	if err != nil {
		return 0, "", nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After"), b, err
}

// peakRSS is the process's high-water mark of resident memory (VmHWM).
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for %d", pid)
}

// helloStub is a complete program whose output names n, so that each
// request is a new stub (a new compile) and each answer can be checked.
func helloStub(n int) string {
	return fmt.Sprintf("fn main() {\n    println!(\"hello {}\", %d);\n}\n", n)
}
