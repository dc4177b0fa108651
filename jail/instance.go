package jail

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// instancePrefix names a service instance's child of the policy's cgroup
// parent and state directory: "i" and the instance's process id.
const instancePrefix = "i"

// ForInstance returns the policy for the jail of the process pid: its job
// cgroups and state live in a child of p's named after pid. Several
// services on one machine (or a service and a test run) then never touch
// each other's jobs, and Recover of one cleans only its own.
func (p Policy) ForInstance(pid int) Policy {
	q := p.withDefaults()
	name := instancePrefix + strconv.Itoa(pid)
	q.CgroupParent = path.Join(q.CgroupParent, name)
	q.StateDir = filepath.Join(q.StateDir, name)
	return q
}

// RecoverDead cleans up after every instance of p (see ForInstance) whose
// process is gone: it kills and removes the jobs' cgroups, the instance's
// cgroup parent and its state directory. Live instances are left alone.
func RecoverDead(p Policy) error {
	base := p.withDefaults()
	entries, err := os.ReadDir(base.StateDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("jail: recover: %w", err)
	}
	var errs []error
	for _, e := range entries {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), instancePrefix))
		if !e.IsDir() || !strings.HasPrefix(e.Name(), instancePrefix) || err != nil || alive(pid) {
			continue
		}
		q := p.ForInstance(pid)
		j, err := New(q)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, j.Recover(), j.Close(), os.RemoveAll(q.StateDir))
	}
	return errors.Join(errs...)
}

// alive reports whether a process with the pid exists (signal 0 probes).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
