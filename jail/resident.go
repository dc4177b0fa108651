package jail

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	"github.com/rocket-sandbox/rocket-sandbox/jail/seccomp"
)

// entries are the functions of this binary a resident can run, by name
// (see RegisterEntry).
var entries = map[string]func(conn *os.File) int{}

// RegisterEntry names a function of this binary that a [Resident] can
// run. Call it from a package's init function: the jail's init looks the
// name up after the binary has been re-executed, so the function must be
// registered in every process of the binary, before [MaybeInit] runs. The
// function gets the resident's connection and returns its exit code.
func RegisterEntry(name string, fn func(conn *os.File) int) {
	if name == "" || fn == nil {
		panic("jail: RegisterEntry needs a name and a function")
	}
	if _, dup := entries[name]; dup {
		panic("jail: entry " + name + " registered twice")
	}
	entries[name] = fn
}

// Resident describes a long-lived jailed process that runs a registered
// function of this binary (not a program: nothing is exec'd) and talks to
// the server only over one connection. It gets what a job gets — new
// mount, PID, network, IPC, UTS and cgroup namespaces, the policy's
// unprivileged uid and gid, no capabilities, no_new_privs, rlimits, a
// cgroup — and less: its root is an empty read-only tmpfs (no toolchain,
// no /work, /tmp, /dev or /proc), no RLIMIT_CPU (its work is bounded per
// request by its own deadlines and by the server, which kills it), and the
// resident seccomp policy (seccomp.ResidentTable), which allows no open,
// no socket and no exec at all.
type Resident struct {
	// Entry names the function (RegisterEntry) the resident runs.
	Entry string
	// Conn is the resident's end of its connection (a socketpair end);
	// the resident gets a copy, and the caller keeps and closes its own.
	Conn *os.File
	// MemoryBytes is the cgroup memory (+swap) limit of the whole
	// process; Pids bounds its threads; OpenFiles is RLIMIT_NOFILE.
	MemoryBytes int64
	Pids        int64
	OpenFiles   int64
}

// Validate checks the resident's fields: a registered entry, a
// connection, and limits within the policy's ceilings.
func (r Resident) Validate() error {
	var l check.List
	if _, ok := entries[r.Entry]; !ok {
		l.Add("entry", "%q is not registered in this binary", r.Entry)
	}
	if r.Conn == nil {
		l.Add("conn", "missing")
	}
	c := LimitCeilings()
	check.Range(&l, "memory_bytes", r.MemoryBytes, 16<<20, c.MemoryBytes)
	check.Range(&l, "pids", r.Pids, 4, c.Pids)
	check.Range(&l, "open_files", r.OpenFiles, 8, c.OpenFiles)
	return l.Err()
}

// residentStderrBytes is how much of a resident's stderr is kept, for the
// log when it dies (a Go panic's first lines).
const residentStderrBytes = 64 << 10

// residentStartTimeout bounds the init's set-up of a resident.
const residentStartTimeout = 30 * time.Second

// Process is a started [Resident].
type Process struct {
	cmd    *exec.Cmd
	cg     *jobCgroup
	stderr *capture
	done   chan struct{}
	exit   Exit
}

// Exit is how a resident ended.
type Exit struct {
	// ExitCode is its exit status, or 128+signal when a signal killed it
	// (Signaled).
	ExitCode int
	Signaled bool
	// OOMKilled is set when its cgroup's memory limit killed it.
	OOMKilled bool
	// Stderr is the start of what it wrote on stderr.
	Stderr []byte
	// Err is set when the resident could not be waited for or its cgroup
	// not removed.
	Err error
}

// residentSeccomp compiles the resident policy once per Jail.
func (j *Jail) residentSeccomp() ([]byte, error) {
	j.residentOnce.Do(func() { j.resident, j.residentErr = seccomp.CompileResident() })
	return j.resident, j.residentErr
}

// Start starts a resident in a fresh jail and returns once its init has
// set everything up and handed over to the entry function; from then on
// the resident runs until it exits or is killed (Process.Kill). Like a
// job, it dies with the server (parent-death signal).
func (j *Jail) Start(r Resident) (*Process, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("jail: bad resident: %w", err)
	}
	prog, err := j.residentSeccomp()
	if err != nil {
		return nil, err
	}
	id, err := newJobID()
	if err != nil {
		return nil, err
	}
	cg, err := j.cg.create("r"+id, Limits{MemoryBytes: r.MemoryBytes, Pids: r.Pids})
	if err != nil {
		return nil, err
	}
	p, err := j.start(r, prog, cg)
	if err != nil {
		cg.kill()
		return nil, errors.Join(err, cg.destroy())
	}
	return p, nil
}

func (j *Jail) start(r Resident, prog []byte, cg *jobCgroup) (*Process, error) {
	cfgJSON, err := json.Marshal(&initConfig{
		Hostname: j.policy.Hostname, NewRoot: j.policy.StateDir,
		UID: j.policy.UID, GID: j.policy.GID,
		OpenFiles: uint64(r.OpenFiles),
		Seccomp:   prog,
		Entry:     r.Entry,
	})
	if err != nil {
		return nil, fmt.Errorf("jail: config: %w", err)
	}
	ps, err := pipes(3)
	if err != nil {
		return nil, err
	}
	files := ps
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	cfgR, cfgW, statusR, statusW, stderrR, stderrW := ps[0], ps[1], ps[2], ps[3], ps[4], ps[5]
	c := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{"rocket-jail-init", initMarker},
		Env:        []string{},
		Stderr:     stderrW,
		ExtraFiles: []*os.File{cfgR, statusW, r.Conn}, // fds 3, 4, 5
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: jobCloneFlags,
			Pdeathsig:  syscall.SIGKILL, // see Jail.run
		},
	}
	cgFD, intoCgroup, err := cg.openDir()
	if err != nil {
		return nil, err
	}
	if intoCgroup {
		defer unix.Close(cgFD)
		c.SysProcAttr.UseCgroupFD = true
		c.SysProcAttr.CgroupFD = cgFD
	}
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("jail: start resident: %w", err)
	}
	p := &Process{cmd: c, cg: cg, done: make(chan struct{})}
	// stderrR now belongs to the capture; the rest of files are closed
	// on return (the child has its own copies).
	files = []*os.File{cfgR, statusW, stderrW, cfgW, statusR}
	p.stderr = startCapture(stderrR, residentStderrBytes, nil)
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	fail := func(err error) (*Process, error) {
		cg.kill()
		_ = c.Process.Kill()
		<-waited
		p.stderr.wait()
		return nil, err
	}
	if !intoCgroup {
		if err := cg.add(c.Process.Pid); err != nil {
			return fail(err)
		}
	}
	cfgR.Close()
	statusW.Close()
	stderrW.Close()
	if _, err := cfgW.Write(cfgJSON); err != nil {
		return fail(fmt.Errorf("jail: send resident config: %w", err))
	}
	cfgW.Close()
	// The init closes the status pipe when it hands over to the entry,
	// or writes why it failed.
	status := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(statusR, 4096))
		status <- string(b)
	}()
	select {
	case msg := <-status:
		if msg != "" {
			return fail(fmt.Errorf("jail: resident init: %s", msg))
		}
	case err := <-waited:
		waited <- err
		return fail(fmt.Errorf("jail: resident init exited during set-up: %v", err))
	case <-time.After(residentStartTimeout):
		return fail(errors.New("jail: resident init did not finish its set-up"))
	}
	go p.reap(waited)
	return p, nil
}

// pipes makes n pipes: read end, write end, each in turn.
func pipes(n int) ([]*os.File, error) {
	var files []*os.File
	for range n {
		r, w, err := os.Pipe()
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return nil, fmt.Errorf("jail: pipe: %w", err)
		}
		files = append(files, r, w)
	}
	return files, nil
}

// reap waits for the resident's end, reads its cgroup's verdict and
// removes the cgroup.
func (p *Process) reap(waited chan error) {
	defer close(p.done)
	waitErr := <-waited
	// PID 1 is gone; so is everything else in its PID namespace.
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		p.exit.Err = fmt.Errorf("jail: wait for resident: %w", waitErr)
	}
	if st, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		p.exit.ExitCode, p.exit.Signaled = exitStatus(st)
	}
	p.exit.OOMKilled = p.cg.stats().oomKills > 0
	p.exit.Stderr, _ = p.stderr.wait()
	if err := p.cg.destroy(); err != nil {
		p.exit.Err = errors.Join(p.exit.Err, err)
	}
}

// Pid is the resident's process id (in the server's PID namespace).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Kill kills the resident (its whole cgroup). Wait then reports the end.
func (p *Process) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cg.kill()
	_ = p.cmd.Process.Kill()
}

// Done is closed once the resident has ended and its cgroup is gone.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait blocks until the resident has ended and reports how.
func (p *Process) Wait() Exit {
	<-p.done
	return p.exit
}

// buildEmptyRoot gives a resident a root with nothing in it: an empty
// tmpfs, pivot_root'ed into and remounted read-only, noexec. No toolchain,
// no /dev, no /proc: a resident opens no file (its seccomp policy refuses
// open anyway), so there is nothing to show it.
func buildEmptyRoot(cfg *initConfig) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	root := cfg.NewRoot
	if err := unix.Mount("tmpfs", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=4k,nr_inodes=4,mode=0555"); err != nil {
		return fmt.Errorf("mount new root: %w", err)
	}
	if err := pivotInto(root, unix.MS_NOEXEC); err != nil {
		return err
	}
	return unix.Chdir("/")
}

// runResident hands the set-up process over to the entry function: the
// status pipe is closed (the parent reads EOF: set-up succeeded) and the
// process's life is the entry's.
func runResident(entry func(*os.File) int) error {
	if err := unix.Close(statusFD); err != nil {
		return fmt.Errorf("close status pipe: %w", err)
	}
	os.Exit(entry(os.NewFile(workFD, "conn")))
	return nil
}
