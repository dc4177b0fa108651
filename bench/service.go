package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Service is one `serve` process of the real binary on a free loopback
// port, for benchmarks that speak to it over HTTP.
type Service struct {
	URL    string
	Client *http.Client
	cmd    *exec.Cmd
}

// StartService writes cfg (its listen address filled in) to dir and starts
// bin with it, env added to the environment; it returns once /healthz
// answers.
func StartService(bin, dir string, cfg map[string]any, env ...string) (*Service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg["listen"] = addr
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "config.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	// serve runs split by default: its front door, under a uid of its
	// own, must reach the stores a caller puts below dir, and a
	// MkdirTemp directory is 0700 (serve refuses to start otherwise).
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	// The service's log (a line per request: hundreds of thousands in a
	// throughput run) goes to a file beside its config, as a deployment's
	// would, not to the benchmark's terminal.
	logFile, err := os.Create(filepath.Join(dir, "service.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(bin, "serve", "--config", path)
	cmd.Stdout, cmd.Stderr = io.Discard, logFile
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Service{URL: "http://" + addr, cmd: cmd, Client: &http.Client{Timeout: 5 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 128}}}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if r, err := s.Client.Get(s.URL + "/healthz"); err == nil {
			r.Body.Close()
			return s, nil
		}
	}
	s.Stop()
	tail, _ := os.ReadFile(logFile.Name())
	if len(tail) > 2000 {
		tail = tail[len(tail)-2000:]
	}
	return nil, fmt.Errorf("service did not become healthy; its log ends: %s", tail)
}

// Stop ends the service gracefully, or kills it after 30 s.
func (s *Service) Stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
	}
}

// PID is the service process's id.
func (s *Service) PID() int { return s.cmd.Process.Pid }
