// Package native runs the native reference's executables the way package
// runtime runs wasm modules: the same Job in, the same Result out, so the
// parity tool can put the reference behind the same sandbox.Service as the
// guest and compare the two answers to one table of inputs. It is not a
// sandbox: the executable runs on the host, unjailed, and only trusted
// inputs (the guide's blocks) may be given to it.
package native

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// Env is the environment a reference executable runs with: native Rocket
// in its release profile refuses to start without a secret key when
// `secrets` is on, while the patched wasm Rocket generates one; a fixed key
// (256 bits, hex) makes the two behave alike. Each call returns a fresh
// slice.
func Env() []string {
	return []string{"ROCKET_SECRET_KEY=8d3f2a7c91e04b6a5f1c3e9d7b2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c"}
}

// Engine runs host executables. The zero value is ready: a 10 s deadline
// and 1 MiB of each output stream kept.
type Engine struct {
	// Timeout bounds one run (default 10 s, as the guest's).
	Timeout time.Duration
	// OutputBytes caps each of stdout and stderr (default 1 MiB).
	OutputBytes int
}

// errConnections: the reference has no virtual socket; the parity tool
// compares programs and doctests, not served requests.
var errConnections = errors.New("native: virtual-socket connections are not supported")

// Run writes job.Module (an ELF executable) to a private temporary
// directory, runs it there with job.Stdin and Env, and reports how it
// ended: an exit code, a trap (killed by a signal: a native panic with
// panic=abort, or a crash) or the time limit.
func (e *Engine) Run(ctx context.Context, job wasmrt.Job) (wasmrt.Result, error) {
	if len(job.Connections) > 0 {
		return wasmrt.Result{}, errConnections
	}
	timeout, limit := e.Timeout, e.OutputBytes
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	if limit == 0 {
		limit = 1 << 20
	}
	dir, err := os.MkdirTemp("", "rocket-sandbox-native-")
	if err != nil {
		return wasmrt.Result{}, fmt.Errorf("native: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "main")
	if err := os.WriteFile(path, job.Module, 0o755); err != nil {
		return wasmrt.Result{}, fmt.Errorf("native: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	cmd.Dir = dir
	cmd.Env = Env()
	cmd.Stdin = bytes.NewReader(job.Stdin)
	stdout, stderr := &capped{max: limit}, &capped{max: limit}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	start := time.Now()
	err = cmd.Run()
	res := wasmrt.Result{Duration: time.Since(start), StdoutTruncated: stdout.cut, StderrTruncated: stderr.cut}
	res.Stdout, res.Stderr = stdout.buf.Bytes(), stderr.buf.Bytes()
	res.CPU = res.Duration
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		res.Limit = outcome.LimitTime
	case errors.As(err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.Trap = fmt.Sprintf("killed by signal %d", int(ws.Signal()))
		} else {
			code := int32(exitErr.ExitCode())
			res.ExitCode = &code
		}
	case err != nil:
		return wasmrt.Result{}, fmt.Errorf("native: run: %w", err)
	default:
		res.ExitCode = new(int32)
	}
	return res, nil
}

// capped keeps the first max bytes written to it and notes the rest.
type capped struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.cut = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return c.buf.Write(p)
}
