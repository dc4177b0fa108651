package jail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// Host runs commands with no isolation at all: a fresh temporary work
// directory, exactly Command.Env, the wall-time deadline (the whole process
// group is killed at it), the output caps, and the same file handling as
// [Jail]. It is the baseline for benchmarks and a debugging aid; it
// enforces no memory, pid, CPU or file-size limit and must never run
// untrusted input.
type Host struct {
	// TempDir is where work directories are created; "" means os.TempDir().
	TempDir string
	// DefaultLimits fill a command's zero limit fields; zero means
	// DefaultLimits(). Only WallTime and OutputBytes are enforced.
	DefaultLimits Limits
}

// Run runs cmd on the host. See [Host].
func (h *Host) Run(ctx context.Context, cmd Command) (Result, error) {
	def := h.DefaultLimits
	if def == (Limits{}) {
		def = DefaultLimits()
	}
	lim := ClampLimits(cmd.Limits, def, MaxLimits())

	work, err := os.MkdirTemp(h.TempDir, "jail-host-")
	if err != nil {
		return Result{}, fmt.Errorf("jail: host work dir: %w", err)
	}
	defer os.RemoveAll(work)
	workFD, err := unix.Open(work, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return Result{}, fmt.Errorf("jail: host work dir: %w", err)
	}
	defer unix.Close(workFD)
	if err := writeFiles(workFD, cmd.Files, -1, -1); err != nil {
		return Result{}, err
	}

	path := cmd.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(work, path)
	}
	c := exec.Command(path, cmd.Args...)
	c.Args[0] = cmd.Path
	c.Dir = work
	c.Env = append([]string{}, cmd.Env...) // non-nil: nothing inherited
	// Own process group, so the deadline can kill the whole tree.
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}

	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("jail: pipe: %w", err)
	}
	stderrR, stderrW, err := os.Pipe()
	if err != nil {
		stdoutR.Close()
		stdoutW.Close()
		return Result{}, fmt.Errorf("jail: pipe: %w", err)
	}
	c.Stdout, c.Stderr = stdoutW, stderrW

	var (
		killOnce  sync.Once
		outputHit = make(chan struct{})
	)
	overflow := func() { killOnce.Do(func() { close(outputHit) }) }
	stdout := startCapture(stdoutR, lim.OutputBytes, overflow)
	stderr := startCapture(stderrR, lim.OutputBytes, overflow)

	start := time.Now()
	err = c.Start()
	stdoutW.Close()
	stderrW.Close()
	if err != nil {
		stdout.wait()
		stderr.wait()
		return Result{}, fmt.Errorf("jail: host start %s: %w", cmd.Path, err)
	}
	pgid := c.Process.Pid

	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	timer := time.NewTimer(lim.WallTime())
	defer timer.Stop()

	var res Result
	var waitErr error
	select {
	case waitErr = <-waited:
	case <-timer.C:
		res.Limit = outcome.LimitTime
	case <-outputHit:
		res.Limit = outcome.LimitOutput
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			res.Limit = outcome.LimitTime
		}
	}
	if res.Limit != outcome.LimitNone || ctx.Err() != nil {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		waitErr = <-waited
	}
	// Descendants that left the process group may still hold the pipes;
	// kill the group again so EOF comes.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	res.Usage.Wall = time.Since(start)
	res.Stdout, res.StdoutTruncated = stdout.wait()
	res.Stderr, res.StderrTruncated = stderr.wait()
	if res.Limit == outcome.LimitNone && (res.StdoutTruncated || res.StderrTruncated) {
		res.Limit = outcome.LimitOutput
	}
	if ctx.Err() != nil && res.Limit != outcome.LimitTime {
		return Result{}, ctx.Err()
	}

	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return Result{}, fmt.Errorf("jail: host wait: %w", waitErr)
	}
	st := c.ProcessState
	res.ExitCode, res.Signaled = exitStatus(st.Sys().(syscall.WaitStatus))
	res.Usage.CPU = st.UserTime() + st.SystemTime()
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		res.Usage.PeakMemoryBytes = ru.Maxrss * 1024
	}
	res.Files, err = collect(workFD, cmd, DefaultMaxCollectFileBytes, lim.WorkDirBytes)
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// exitStatus maps a wait status to Result's ExitCode and Signaled: a
// signal death reports 128+signal, as shells do.
func exitStatus(ws syscall.WaitStatus) (int, bool) {
	if ws.Signaled() {
		return 128 + int(ws.Signal()), true
	}
	return ws.ExitStatus(), false
}
