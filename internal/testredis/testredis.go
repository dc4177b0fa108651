// Package testredis starts a real redis-server for tests, as etcd's and
// CockroachDB's integration tests start their servers: the Debian binary
// (toolchain/debian-packages-test.txt) on a free loopback port, in a
// temporary directory, without persistence, stopped by its PID when the
// test ends. Where the binary is missing the test is skipped on a
// developer's machine and fails in CI.
package testredis

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Server is one running redis-server.
type Server struct {
	// URL is what a client is configured with (redis://127.0.0.1:port/0).
	URL  string
	Addr string
	cmd  *exec.Cmd
	dir  string
	port int
}

// Start starts a redis-server for t, stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server is not installed (make packages-test): %v", err)
		}
		t.Skip("redis-server is not installed (make packages-test)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &Server{dir: t.TempDir(), port: port}
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	s.URL = "redis://" + s.Addr + "/0"
	s.cmd = exec.Command(bin,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", s.dir, "--save", "", "--appendonly", "no",
		"--protected-mode", "yes", "--logfile", "")
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(s.Kill)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond); err == nil {
			ok := ping(c)
			c.Close()
			if ok {
				return s
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Kill()
	t.Fatalf("redis-server on %s did not answer PING within 10 s", s.Addr)
	return nil
}

// ping speaks just enough RESP to know the server is ready.
func ping(c net.Conn) bool {
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := fmt.Fprint(c, "PING\r\n"); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := c.Read(buf)
	return string(buf[:n]) == "+PONG\r\n"
}

// Kill ends the server with SIGKILL (if it still runs) and waits for it:
// nothing of it answers afterwards.
func (s *Server) Kill() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
}
