package jail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	cgroups "github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroupRoot is where the cgroup file systems are mounted; the cgroups
// library's mode detection assumes the same.
const cgroupRoot = "/sys/fs/cgroup"

// cgroupManager creates, measures, kills and removes the per-job cgroups
// under the policy's parent, on cgroup v1 (legacy or hybrid: the v1
// controllers are used) or v2 (unified), as cgroups.Mode() reports.
//
// Creation, placement, kill and deletion go through
// github.com/containerd/cgroups/v3. The few numbers a Result needs are read
// straight from their files: the library's Stat reads every file of every
// controller, which costs more than the rest of a job's cgroup work.
type cgroupManager struct {
	v2 bool

	// v1: the controllers used, and the parent's path in each hierarchy.
	subsystems []cgroup1.Subsystem
	parent     cgroup1.Path

	// v2: the parent group, relative to cgroupRoot, and whether swap is
	// accounted (memory.swap.max exists).
	parentGroup string
	v2Swap      bool

	cpuQuotaMillicores int64
}

// v2Controllers are the controllers a job's cgroup uses on v2.
var v2Controllers = []string{"memory", "pids", "cpu"}

func newCgroupManager(parent string, cpuQuotaMillicores int64) (*cgroupManager, error) {
	m := &cgroupManager{cpuQuotaMillicores: cpuQuotaMillicores}
	switch cgroups.Mode() {
	case cgroups.Unified:
		m.v2 = true
		group := parent
		if !filepath.IsAbs(parent) {
			own, err := ownCgroupV2()
			if err != nil {
				return nil, err
			}
			group = filepath.Join(own, parent)
		}
		m.parentGroup = group
		// The job cgroups need memory, pids and cpu: enable them in every
		// ancestor's subtree_control and in the parent's own. This fails
		// if an ancestor other than the root holds processes (the v2 "no
		// internal processes" rule), e.g. our own cgroup without
		// delegation: then set an absolute CgroupParent, or run the
		// server in a delegated leaf cgroup.
		pm, err := cgroup2.NewManager(cgroupRoot, group, &cgroup2.Resources{})
		if err == nil {
			err = pm.ToggleControllers(v2Controllers, cgroup2.Enable)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(cgroupRoot, group, "cgroup.subtree_control"), []byte("+memory +pids +cpu"), 0)
		}
		if err != nil {
			return nil, fmt.Errorf("jail: cgroup v2 parent %s: %w", group, err)
		}
		_, err = os.Stat(filepath.Join(cgroupRoot, group, "memory.swap.max"))
		m.v2Swap = err == nil
	case cgroups.Legacy, cgroups.Hybrid:
		for _, s := range []cgroup1.Subsystem{
			cgroup1.NewMemory(cgroupRoot, cgroup1.OptionalSwap()),
			cgroup1.NewPids(cgroupRoot), cgroup1.NewCpu(cgroupRoot),
			cgroup1.NewCpuacct(cgroupRoot), cgroup1.NewFreezer(cgroupRoot),
		} {
			if _, err := os.Stat(filepath.Join(cgroupRoot, string(s.Name()))); err != nil {
				return nil, fmt.Errorf("jail: cgroup v1 controller %s is not mounted: %w", s.Name(), err)
			}
			m.subsystems = append(m.subsystems, s)
		}
		if filepath.IsAbs(parent) {
			m.parent = cgroup1.StaticPath(parent)
		} else {
			// Per controller, under this process's own cgroup (here the
			// memory controller puts us below /process_api/<id>).
			m.parent = cgroup1.NestedPath(parent)
		}
		if _, err := cgroup1.New(m.parent, &specs.LinuxResources{}, cgroup1.WithHierarchy(m.hierarchy)); err != nil {
			return nil, fmt.Errorf("jail: cgroup v1 parent %s: %w", parent, err)
		}
	default:
		return nil, errors.New("jail: no cgroup file system mounted at " + cgroupRoot)
	}
	return m, nil
}

func (m *cgroupManager) hierarchy() ([]cgroup1.Subsystem, error) { return m.subsystems, nil }

// ownCgroupV2 is this process's cgroup in the unified hierarchy.
func ownCgroupV2() (string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", fmt.Errorf("jail: own cgroup: %w", err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			return rest, nil
		}
	}
	return "", errors.New("jail: own cgroup: no unified entry in /proc/self/cgroup")
}

// jobCgroup is one job's cgroup.
type jobCgroup struct {
	m  *cgroupManager
	v1 cgroup1.Cgroup
	v2 *cgroup2.Manager
	// dirs are the job's directories: one per v1 controller, or one.
	dirs map[string]string
}

func (m *cgroupManager) resources(lim Limits) (*specs.LinuxResources, int64, uint64) {
	period := uint64(100_000)
	quota := m.cpuQuotaMillicores * int64(period) / 1000
	mem := lim.MemoryBytes
	swap := mem // v1 memsw: memory+swap equal to memory, i.e. no swap
	return &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &mem, Swap: &swap},
		Pids:   &specs.LinuxPids{Limit: &lim.Pids},
		CPU:    &specs.LinuxCPU{Quota: &quota, Period: &period},
	}, quota, period
}

// create makes the cgroup for job id with the job's limits.
func (m *cgroupManager) create(id string, lim Limits) (*jobCgroup, error) {
	res, quota, period := m.resources(lim)
	j := &jobCgroup{m: m, dirs: map[string]string{}}
	if m.v2 {
		mem := &cgroup2.Memory{Max: &lim.MemoryBytes}
		if m.v2Swap {
			noSwap := int64(0)
			mem.Swap = &noSwap
		}
		mgr, err := cgroup2.NewManager(cgroupRoot, filepath.Join(m.parentGroup, id), &cgroup2.Resources{
			Memory: mem,
			Pids:   &cgroup2.Pids{Max: lim.Pids},
			CPU:    &cgroup2.CPU{Max: cgroup2.NewCPUMax(&quota, &period)},
		})
		if err != nil {
			return nil, fmt.Errorf("jail: create cgroup: %w", err)
		}
		j.v2 = mgr
		j.dirs["unified"] = filepath.Join(cgroupRoot, m.parentGroup, id)
		return j, nil
	}
	path := func(name cgroup1.Name) (string, error) {
		p, err := m.parent(name)
		if err != nil {
			return "", err
		}
		return filepath.Join(p, id), nil
	}
	cg, err := cgroup1.New(path, res, cgroup1.WithHierarchy(m.hierarchy))
	if err != nil {
		// New may have created some controllers' directories.
		for _, s := range m.subsystems {
			if p, perr := path(s.Name()); perr == nil {
				_ = os.Remove(filepath.Join(cgroupRoot, string(s.Name()), p))
			}
		}
		return nil, fmt.Errorf("jail: create cgroup: %w", err)
	}
	j.v1 = cg
	for _, s := range m.subsystems {
		p, err := path(s.Name())
		if err != nil {
			return nil, err
		}
		j.dirs[string(s.Name())] = filepath.Join(cgroupRoot, string(s.Name()), p)
	}
	return j, nil
}

// openDir returns an O_PATH descriptor of the v2 cgroup, for clone3's
// CLONE_INTO_CGROUP; ok is false on v1, where the pid is added after start.
func (j *jobCgroup) openDir() (fd int, ok bool, err error) {
	if j.v2 == nil {
		return -1, false, nil
	}
	fd, err = unix.Open(j.dirs["unified"], unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, false, fmt.Errorf("jail: open cgroup: %w", err)
	}
	return fd, true, nil
}

// add places a started process (the jail init, before it does anything).
func (j *jobCgroup) add(pid int) error {
	var err error
	if j.v2 != nil {
		err = j.v2.AddProc(uint64(pid))
	} else {
		err = j.v1.AddProc(uint64(pid))
	}
	if err != nil {
		return fmt.Errorf("jail: add to cgroup: %w", err)
	}
	return nil
}

// kill SIGKILLs every process in the cgroup. On v2 that is cgroup.kill.
// On v1 the freezer stops the tree first, so nothing forks between listing
// and killing; a freeze that does not settle within a bound (a task in
// uninterruptible sleep) does not stop the kill: killing the job's PID 1
// makes the kernel kill the rest of its PID namespace anyway.
func (j *jobCgroup) kill() {
	if j.v2 != nil {
		_ = j.v2.Kill()
		return
	}
	state := filepath.Join(j.dirs[string(cgroup1.Freezer)], "freezer.state")
	_ = os.WriteFile(state, []byte("FROZEN"), 0)
	for deadline := time.Now().Add(100 * time.Millisecond); time.Now().Before(deadline); {
		if b, err := os.ReadFile(state); err != nil || strings.TrimSpace(string(b)) == "FROZEN" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	for _, pid := range readPids(filepath.Join(j.dirs[string(cgroup1.Freezer)], "cgroup.procs")) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = os.WriteFile(state, []byte("THAWED"), 0)
}

func readPids(file string) []int {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var pids []int
	for f := range strings.FieldsSeq(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cgroupStats is what a Result reports from the cgroup.
type cgroupStats struct {
	peakMemoryBytes int64
	cpu             time.Duration
	oomKills        int64
}

// cpuTime is the CPU time the job's processes have used so far.
func (j *jobCgroup) cpuTime() time.Duration {
	if j.v2 != nil {
		return time.Duration(readKey(filepath.Join(j.dirs["unified"], "cpu.stat"), "usage_usec")) * time.Microsecond
	}
	return time.Duration(readInt(filepath.Join(j.dirs[string(cgroup1.Cpuacct)], "cpuacct.usage")))
}

func (j *jobCgroup) stats() cgroupStats {
	var s cgroupStats
	if j.v2 != nil {
		dir := j.dirs["unified"]
		s.peakMemoryBytes = readInt(filepath.Join(dir, "memory.peak")) // Linux 5.19+
		s.cpu = j.cpuTime()
		s.oomKills = readKey(filepath.Join(dir, "memory.events"), "oom_kill")
		return s
	}
	mem := j.dirs[string(cgroup1.Memory)]
	s.peakMemoryBytes = readInt(filepath.Join(mem, "memory.max_usage_in_bytes"))
	s.cpu = j.cpuTime()
	s.oomKills = readKey(filepath.Join(mem, "memory.oom_control"), "oom_kill")
	if s.oomKills == 0 && readInt(filepath.Join(mem, "memory.failcnt")) > 0 &&
		readInt(filepath.Join(mem, "memory.max_usage_in_bytes")) >= readInt(filepath.Join(mem, "memory.limit_in_bytes")) {
		// Kernels without the oom_kill counter: the limit was reached.
		s.oomKills = 1
	}
	return s
}

func readInt(file string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	return n
}

// readKey reads "key value" from a flat-keyed cgroup file.
func readKey(file, key string) int64 {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// destroy kills anything left and removes the cgroup.
func (j *jobCgroup) destroy() error {
	if j.v2 != nil {
		if err := j.v2.Delete(); err != nil {
			j.kill()
			return j.v2.Delete()
		}
		return nil
	}
	if err := j.v1.Delete(); err != nil {
		j.kill()
		return j.v1.Delete()
	}
	return nil
}

// recoverLeftovers kills the processes of, and removes, every job cgroup
// under the parent: the remains of a crashed earlier run.
func (m *cgroupManager) recoverLeftovers() error {
	var errs []error
	if m.v2 {
		parent := filepath.Join(cgroupRoot, m.parentGroup)
		entries, err := os.ReadDir(parent)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			mgr, err := cgroup2.Load(filepath.Join(m.parentGroup, e.Name()), cgroup2.WithMountpoint(cgroupRoot))
			if err == nil {
				_ = mgr.Kill()
				err = (&jobCgroup{m: m, v2: mgr}).destroy()
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	parents := map[cgroup1.Name]string{}
	for _, s := range m.subsystems {
		p, err := m.parent(s.Name())
		if err != nil {
			return err
		}
		parents[s.Name()] = filepath.Join(cgroupRoot, string(s.Name()), p)
	}
	// The freezer hierarchy holds every process of a job: kill there
	// first, then remove the job's directory from each controller.
	if entries, err := os.ReadDir(parents[cgroup1.Freezer]); err == nil {
		for _, e := range entries {
			if e.IsDir() {
				j := &jobCgroup{m: m, dirs: map[string]string{string(cgroup1.Freezer): filepath.Join(parents[cgroup1.Freezer], e.Name())}}
				j.kill()
			}
		}
	}
	for _, parent := range parents {
		entries, err := os.ReadDir(parent)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			dir := filepath.Join(parent, e.Name())
			for _, pid := range readPids(filepath.Join(dir, "cgroup.procs")) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			if err := rmdirRetry(dir); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// rmdirRetry removes an empty cgroup directory, waiting briefly for
// killed tasks to leave it.
func rmdirRetry(dir string) error {
	var err error
	for range 50 {
		if err = unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("jail: remove cgroup %s: %w", dir, err)
}

// removeParent removes the (empty) parent cgroups; used by Jail.Close.
func (m *cgroupManager) removeParent() error {
	if m.v2 {
		return rmdirRetry(filepath.Join(cgroupRoot, m.parentGroup))
	}
	var errs []error
	for _, s := range m.subsystems {
		p, err := m.parent(s.Name())
		if err != nil {
			return err
		}
		if err := rmdirRetry(filepath.Join(cgroupRoot, string(s.Name()), p)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
