package jail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail/seccomp"
)

// Jail runs commands in the sandbox described in the package
// documentation. It is safe for concurrent use; every Run gets its own
// namespaces, cgroup and directories and leaves none of them behind.
type Jail struct {
	policy  Policy
	cg      *cgroupManager
	seccomp []byte

	// The residents' seccomp program, compiled at the first Start.
	residentOnce sync.Once
	resident     []byte
	residentErr  error
}

// New checks the policy (filling in its defaults), compiles the seccomp
// filter, creates the state directory and the parent cgroup. A bad policy,
// or a host that cannot run the jail (not root, no cgroups), fails here,
// at start-up, not at the first job.
func New(p Policy) (*Jail, error) {
	p = p.withDefaults()
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("jail: bad policy: %w", err)
	}
	for _, ro := range p.ReadOnlyPaths {
		// A symlink above a read-only path would make its mount point
		// resolve outside the new root; the path itself may be one.
		parent := filepath.Dir(ro)
		if real, err := filepath.EvalSymlinks(parent); err != nil || real != parent {
			return nil, fmt.Errorf("jail: bad policy: read-only path %q: its parent directory must not contain a symlink (it resolves to %q)", ro, real)
		}
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("jail: must run as root (namespaces, mounts and cgroups)")
	}
	prog, err := seccomp.Compile()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(p.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("jail: state dir: %w", err)
	}
	cg, err := newCgroupManager(p.CgroupParent, p.CPUQuotaMillicores)
	if err != nil {
		return nil, err
	}
	return &Jail{policy: p, cg: cg, seccomp: prog}, nil
}

// Policy returns the policy in force, with its defaults filled in.
func (j *Jail) Policy() Policy { return j.policy }

// Recover removes what a crashed earlier run of the server left: job
// cgroups, killing their processes, and anything in the state directory.
// (Jobs make no host mounts: see newWorkMount.) Call it once at start-up,
// before the first Run; it must not run while this policy's jobs run.
func (j *Jail) Recover() error {
	var errs []error
	if err := j.cg.recoverLeftovers(); err != nil {
		errs = append(errs, err)
	}
	entries, err := os.ReadDir(j.policy.StateDir)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(j.policy.StateDir, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close removes the parent cgroup. Call it after every Run has returned;
// the Jail is unusable afterwards.
func (j *Jail) Close() error {
	return j.cg.removeParent()
}

// jobCloneFlags are the namespaces of a job: its own mounts (the new root),
// PIDs (it sees and signals only itself; it dies as a whole with its PID
// 1), network (only lo, down: no way out), System V IPC and POSIX message
// queues, host name, and cgroup view. No user namespace: see the package
// documentation.
const jobCloneFlags = unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWNET |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP

// Run runs cmd in a fresh jail and reports what it did. A non-zero exit,
// a signal or a limit is a Result; an error means the jail itself failed
// (or ctx was cancelled), and then nothing of the job is left either.
//
// The wall-time limit is the earlier of ctx's deadline and
// Limits.WallTimeMS; reaching it kills the job's whole cgroup and reports
// outcome.LimitTime. Cancelling ctx (other than by its deadline) kills the
// job and returns ctx.Err().
func (j *Jail) Run(ctx context.Context, cmd Command) (res Result, err error) {
	if cmd.Path == "" {
		return Result{}, errors.New("jail: empty command path")
	}
	for _, name := range append(cmd.Collect[:len(cmd.Collect):len(cmd.Collect)], cmd.CollectTrees...) {
		if err := CheckName(name); err != nil {
			return Result{}, err
		}
	}
	lim := ClampLimits(cmd.Limits, j.policy.DefaultLimits, j.policy.MaxLimits)
	id, err := newJobID()
	if err != nil {
		return Result{}, err
	}

	workFD, err := newWorkMount(lim.WorkDirBytes, j.policy.UID, j.policy.GID)
	if err != nil {
		return Result{}, err
	}
	work := os.NewFile(uintptr(workFD), "work")
	defer work.Close()
	if err := writeFiles(workFD, cmd.Files, j.policy.UID, j.policy.GID); err != nil {
		return Result{}, err
	}

	cg, err := j.cg.create(id, lim)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if cerr := cg.destroy(); cerr != nil && err == nil {
			res, err = Result{}, cerr
		}
	}()

	res, err = j.run(ctx, cmd, lim, cg, work)
	if err != nil {
		return Result{}, err
	}
	res.Files, err = collect(workFD, cmd, min(j.policy.MaxCollectFileBytes, lim.WorkDirBytes), lim.WorkDirBytes)
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// run starts the init in the job's cgroup, feeds it its configuration and
// supervises it until the whole job has exited.
func (j *Jail) run(ctx context.Context, cmd Command, lim Limits, cg *jobCgroup, work *os.File) (Result, error) {
	cfg := initConfig{
		Path: cmd.Path, Args: cmd.Args, Env: cmd.Env,
		Hostname: j.policy.Hostname, NewRoot: j.policy.StateDir,
		ReadOnly: j.policy.ReadOnlyPaths, TmpBytes: j.policy.TmpBytes,
		UID: j.policy.UID, GID: j.policy.GID,
		CPUSeconds:    uint64((lim.CPUTime() + time.Second - 1) / time.Second),
		FileSizeBytes: uint64(lim.FileSizeBytes),
		OpenFiles:     uint64(lim.OpenFiles),
		Seccomp:       j.seccomp,
	}
	cfgJSON, err := json.Marshal(&cfg)
	if err != nil {
		return Result{}, fmt.Errorf("jail: config: %w", err)
	}

	// Standard input is a fifth pipe when the job has input, written to
	// and closed after the start; without input it stays the null device.
	n := 4
	if len(cmd.Stdin) > 0 {
		n = 5
	}
	files, err := pipes(n)
	if err != nil {
		return Result{}, err
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	cfgR, cfgW, statusR, statusW := files[0], files[1], files[2], files[3]
	stdoutR, stdoutW, stderrR, stderrW := files[4], files[5], files[6], files[7]

	var stdinR, stdinW *os.File
	if n == 5 {
		stdinR, stdinW = files[8], files[9]
	}
	c := &exec.Cmd{
		Path:   "/proc/self/exe",
		Args:   []string{"rocket-jail-init", initMarker},
		Env:    []string{}, // the init gets nothing of the server's environment
		Stdout: stdoutW,
		Stderr: stderrW,
		// fds 3, 4 and 5; the child gets a duplicate of the work mount.
		ExtraFiles: []*os.File{cfgR, statusW, work},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: jobCloneFlags,
			// The job dies with the server. Linux sends it when the
			// forking thread exits, and Go ends a thread only when a
			// goroutine exits while locked to it: do not call Run from
			// a goroutine that holds runtime.LockOSThread.
			Pdeathsig: syscall.SIGKILL,
		},
	}
	if stdinR != nil {
		c.Stdin = stdinR
	}
	// On v2 the init is cloned straight into the job's cgroup.
	cgFD, intoCgroup, err := cg.openDir()
	if err != nil {
		closeAll()
		return Result{}, err
	}
	if intoCgroup {
		defer unix.Close(cgFD)
		c.SysProcAttr.UseCgroupFD = true
		c.SysProcAttr.CgroupFD = cgFD
	}

	var (
		overflowOnce sync.Once
		overflow     = make(chan struct{})
	)
	onOverflow := func() { overflowOnce.Do(func() { close(overflow) }) }

	start := time.Now()
	if err := c.Start(); err != nil {
		closeAll()
		return Result{}, fmt.Errorf("jail: start init: %w", err)
	}
	// Our copies of the child's ends, so EOF comes when the job is gone.
	cfgR.Close()
	statusW.Close()
	stdoutW.Close()
	stderrW.Close()
	if stdinW != nil {
		stdinR.Close()
		// A job that exits without reading it all makes the write fail
		// (EPIPE), which is its business; the write ends with the job.
		go func() {
			_, _ = stdinW.Write(cmd.Stdin)
			stdinW.Close()
		}()
	}
	stdout := startCapture(stdoutR, lim.OutputBytes, onOverflow)
	stderr := startCapture(stderrR, lim.OutputBytes, onOverflow)
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	abort := func(err error) (Result, error) {
		cg.kill()
		_ = c.Process.Kill()
		<-waited
		cfgW.Close()
		statusR.Close()
		stdout.wait()
		stderr.wait()
		return Result{}, err
	}

	// The init waits for its configuration before doing anything, so it
	// is in the cgroup before any of the job runs.
	if !intoCgroup {
		if err := cg.add(c.Process.Pid); err != nil {
			return abort(err)
		}
	}
	_, err = cfgW.Write(cfgJSON)
	cfgW.Close()
	if err != nil {
		return abort(fmt.Errorf("jail: send config: %w", err))
	}
	// The status pipe reaches EOF at the exec (close-on-exec) or carries
	// the init's error.
	status := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(statusR, 4096))
		statusR.Close()
		status <- string(b)
	}()

	timer := time.NewTimer(lim.WallTime())
	defer timer.Stop()
	// RLIMIT_CPU bounds each process; the cgroup's usage bounds the
	// tree. Polled only when the budget can run out before the wall
	// time does at the cgroup's CPU quota.
	var cpuTick <-chan time.Time
	if float64(lim.CPUTime()) < float64(lim.WallTime())*float64(j.policy.CPUQuotaMillicores)/1000 {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		cpuTick = t.C
	}

	var res Result
	var waitErr error
	exited := false
	for !exited && res.Limit == outcome.LimitNone {
		select {
		case waitErr = <-waited:
			exited = true
		case msg := <-status:
			if msg != "" {
				return abort(fmt.Errorf("jail: init: %s", msg))
			}
			status = nil
		case <-timer.C:
			res.Limit = outcome.LimitTime
		case <-cpuTick:
			if cg.cpuTime() >= lim.CPUTime() {
				res.Limit = outcome.LimitTime
			}
		case <-overflow:
			res.Limit = outcome.LimitOutput
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return abort(ctx.Err())
			}
			res.Limit = outcome.LimitTime
		}
	}
	if !exited {
		// A limit: kill the whole tree, not just the top process.
		cg.kill()
		waitErr = <-waited
	}
	res.Usage.Wall = time.Since(start)
	if status != nil {
		if msg := <-status; msg != "" {
			cg.kill()
			stdout.wait()
			stderr.wait()
			return Result{}, fmt.Errorf("jail: init: %s", msg)
		}
	}
	// PID 1 is gone, so the kernel has killed the rest of its namespace:
	// every writer of the pipes is dead and EOF is near.
	res.Stdout, res.StdoutTruncated = stdout.wait()
	res.Stderr, res.StderrTruncated = stderr.wait()

	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return Result{}, fmt.Errorf("jail: wait: %w", waitErr)
	}
	ws := c.ProcessState.Sys().(syscall.WaitStatus)
	res.ExitCode, res.Signaled = exitStatus(ws)

	st := cg.stats()
	res.Usage.CPU = st.cpu
	res.Usage.PeakMemoryBytes = st.peakMemoryBytes
	if res.Limit == outcome.LimitNone {
		switch {
		case st.oomKills > 0:
			res.Limit = outcome.LimitMemory
		case st.cpu >= lim.CPUTime() || (ws.Signaled() && ws.Signal() == syscall.SIGXCPU):
			res.Limit = outcome.LimitTime
		case res.StdoutTruncated || res.StderrTruncated:
			res.Limit = outcome.LimitOutput
		}
	}
	return res, nil
}

func newJobID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("jail: job id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
