package doctor

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/containerd/cgroups/v3"
	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/jail/seccomp"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// Config says where the service keeps its state.
type Config struct {
	// StateDir holds the prepared toolchain and the caches.
	StateDir string
	// JailStateDir is the compile jail's own directory.
	JailStateDir string
	// MinFreeBytes is the free space the state dir's file system must
	// have: caches and compile work dirs grow there. Default 2 GiB.
	MinFreeBytes uint64
}

// DefaultMinFreeBytes is the free space asked of the state dir by default.
const DefaultMinFreeBytes = 2 << 30

// Host is how the checks look at the machine: the real one (RealHost), or
// a fake in the unit tests, one failure at a time.
type Host struct {
	Geteuid func() int
	// ReadFile reads /proc and /sys files.
	ReadFile func(path string) ([]byte, error)
	// Unshare starts a short-lived process in new mount, PID, network,
	// IPC and UTS namespaces, as the jail does.
	Unshare func() error
	// CgroupMode is "v1", "v2", or "" when no cgroup file system is
	// mounted.
	CgroupMode func() string
	// CgroupV1Mounted reports whether a v1 controller's hierarchy is
	// mounted under /sys/fs/cgroup.
	CgroupV1Mounted func(controller string) bool
	// SeccompFilter compiles the jail's filter with libseccomp.
	SeccompFilter func() error
	// MissingPackages lists the Debian packages set-up needs that are not
	// installed.
	MissingPackages func(ctx context.Context) ([]string, error)
	// LoadManifest reads the prepared toolchain's manifest.
	LoadManifest func(stateDir string) (*toolchain.Manifest, error)
	// HostPathProblems checks the manifest's host paths against the
	// packages (toolchain.CheckHostPaths).
	HostPathProblems func(ctx context.Context, m *toolchain.Manifest, stateDir string) ([]toolchain.HostPathProblem, error)
	// WriteProbe creates dir if needed, then a file in it, then removes it.
	WriteProbe func(dir string) error
	// FreeBytes is the space available to this user on dir's file system.
	FreeBytes func(dir string) (uint64, error)
}

// RealHost looks at this machine.
func RealHost() Host {
	return Host{
		Geteuid:  os.Geteuid,
		ReadFile: os.ReadFile,
		Unshare: func() error {
			cmd := exec.Command("/bin/true")
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID |
				unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS}
			return cmd.Run()
		},
		CgroupMode: func() string {
			switch cgroups.Mode() {
			case cgroups.Unified:
				return "v2"
			case cgroups.Legacy, cgroups.Hybrid:
				return "v1"
			}
			return ""
		},
		CgroupV1Mounted: func(c string) bool {
			var st unix.Statfs_t
			return unix.Statfs(filepath.Join("/sys/fs/cgroup", c), &st) == nil && st.Type == unix.CGROUP_SUPER_MAGIC
		},
		SeccompFilter: func() error { _, err := seccomp.Compile(); return err },
		MissingPackages: func(ctx context.Context) ([]string, error) {
			return toolchain.MissingPackages(ctx), nil
		},
		LoadManifest: toolchain.Load,
		HostPathProblems: func(ctx context.Context, m *toolchain.Manifest, stateDir string) ([]toolchain.HostPathProblem, error) {
			return toolchain.CheckHostPaths(ctx, m.HostPaths(stateDir), toolchain.Packages())
		},
		WriteProbe: func(dir string) error {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			f, err := os.CreateTemp(dir, ".doctor-")
			if err != nil {
				return err
			}
			f.Close()
			return os.Remove(f.Name())
		},
		FreeBytes: func(dir string) (uint64, error) {
			var st unix.Statfs_t
			if err := unix.Statfs(dir, &st); err != nil {
				return 0, err
			}
			return st.Bavail * uint64(st.Bsize), nil
		},
	}
}

// Capabilities the jail uses when the service is not root: mounts and
// pivot_root (SYS_ADMIN), dropping to the job's identity (SETUID, SETGID),
// cgroup files owned by root (DAC_OVERRIDE), killing a job's tree (KILL).
var neededCaps = []struct {
	bit  uint
	name string
}{{21, "CAP_SYS_ADMIN"}, {7, "CAP_SETUID"}, {6, "CAP_SETGID"}, {1, "CAP_DAC_OVERRIDE"}, {5, "CAP_KILL"}}

// Controllers the jail limits a compile with.
var (
	cgroupV2Controllers = []string{"memory", "pids", "cpu"}
	cgroupV1Controllers = []string{"memory", "pids", "cpu", "cpuacct", "freezer"}
)

// Checks returns every precondition of the service, in the order a fix
// is most useful (root first: without it most others cannot be checked).
func Checks(h Host, cfg Config) []Check {
	if cfg.MinFreeBytes == 0 {
		cfg.MinFreeBytes = DefaultMinFreeBytes
	}
	return []Check{
		{
			Name: "root or the jail's capabilities",
			Fix:  "run the service as root (sudo make run), or grant it CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID, CAP_DAC_OVERRIDE and CAP_KILL",
			Run:  func(context.Context) error { return checkPrivilege(h) },
		},
		{
			Name: "new namespaces (mount, PID, network, IPC, UTS)",
			Fix:  "run on a host, VM or privileged container that allows unshare(2) of these namespaces (a container runtime's default seccomp profile or a restricted sysctl may forbid it)",
			Run: func(context.Context) error {
				if err := h.Unshare(); err != nil {
					return fmt.Errorf("cannot start a process in new namespaces: %w", err)
				}
				return nil
			},
		},
		{
			Name: "cgroups with the memory, pids and cpu controllers",
			Fix:  "mount cgroup v2 at /sys/fs/cgroup with the memory, pids and cpu controllers available (or cgroup v1 hierarchies for memory, pids, cpu, cpuacct and freezer)",
			Run:  func(context.Context) error { return checkCgroups(h) },
		},
		{
			Name: "seccomp filters",
			Fix:  "use a kernel built with CONFIG_SECCOMP_FILTER, and install libseccomp2 (make setup installs libseccomp-dev)",
			Run:  func(context.Context) error { return checkSeccomp(h) },
		},
		{
			Name: "Debian packages",
			Fix:  "run `make setup`, which installs them (apt-get, as root)",
			Run: func(ctx context.Context) error {
				missing, err := h.MissingPackages(ctx)
				if err != nil {
					return err
				}
				if len(missing) > 0 {
					return fmt.Errorf("not installed: %s", strings.Join(missing, ", "))
				}
				return nil
			},
		},
		{
			Name: "prepared toolchain and its host files",
			Fix:  "run `make setup`; a file named above that a package outside toolchain/debian-packages.txt provides means that list is incomplete",
			Run:  func(ctx context.Context) error { return checkToolchain(ctx, h, cfg.StateDir) },
		},
		{
			Name: "writable state directories",
			Fix:  "make " + cfg.StateDir + " and " + cfg.JailStateDir + " writable by the service, or set ROCKET_SANDBOX_STATE_DIR",
			Run: func(context.Context) error {
				for _, d := range []string{cfg.StateDir, cfg.JailStateDir} {
					if d == "" {
						continue
					}
					if err := h.WriteProbe(d); err != nil {
						return fmt.Errorf("%s: %w", d, err)
					}
				}
				return nil
			},
		},
		{
			Name: "free disk space",
			Fix:  fmt.Sprintf("free at least %d MiB on the file system of %s, or point ROCKET_SANDBOX_STATE_DIR elsewhere", cfg.MinFreeBytes>>20, cfg.StateDir),
			Run: func(context.Context) error {
				free, err := h.FreeBytes(cfg.StateDir)
				if err != nil {
					return err
				}
				if free < cfg.MinFreeBytes {
					return fmt.Errorf("%d MiB free, %d MiB needed", free>>20, cfg.MinFreeBytes>>20)
				}
				return nil
			},
		},
	}
}

func checkPrivilege(h Host) error {
	if h.Geteuid() == 0 {
		return nil
	}
	status, err := h.ReadFile("/proc/self/status")
	if err != nil {
		return fmt.Errorf("not root, and capabilities unreadable: %w", err)
	}
	eff, ok := statusField(status, "CapEff")
	if !ok {
		return fmt.Errorf("not root, and /proc/self/status has no CapEff")
	}
	bits, err := strconv.ParseUint(eff, 16, 64)
	if err != nil {
		return fmt.Errorf("not root, and CapEff %q unreadable", eff)
	}
	var missing []string
	for _, c := range neededCaps {
		if bits&(1<<c.bit) == 0 {
			missing = append(missing, c.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("running as uid %d without %s", h.Geteuid(), strings.Join(missing, ", "))
	}
	return nil
}

func checkCgroups(h Host) error {
	switch h.CgroupMode() {
	case "v2":
		b, err := h.ReadFile("/sys/fs/cgroup/cgroup.controllers")
		if err != nil {
			return fmt.Errorf("cgroup v2: %w", err)
		}
		have := strings.Fields(string(b))
		var missing []string
		for _, c := range cgroupV2Controllers {
			if !contains(have, c) {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("cgroup v2 lacks the %s controller(s)", strings.Join(missing, ", "))
		}
	case "v1":
		var missing []string
		for _, c := range cgroupV1Controllers {
			if !h.CgroupV1Mounted(c) {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("cgroup v1 hierarchies not mounted: %s", strings.Join(missing, ", "))
		}
	default:
		return fmt.Errorf("no cgroup file system at /sys/fs/cgroup")
	}
	return nil
}

func checkSeccomp(h Host) error {
	status, err := h.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	if _, ok := statusField(status, "Seccomp"); !ok {
		return fmt.Errorf("the kernel has no seccomp support (no Seccomp line in /proc/self/status)")
	}
	actions, err := h.ReadFile("/proc/sys/kernel/seccomp/actions_avail")
	if err != nil {
		return fmt.Errorf("the kernel has no seccomp filter support: %w", err)
	}
	for _, a := range []string{"errno", "kill_process"} {
		if !contains(strings.Fields(string(actions)), a) {
			return fmt.Errorf("the kernel's seccomp lacks the %q action", a)
		}
	}
	if err := h.SeccompFilter(); err != nil {
		return fmt.Errorf("libseccomp cannot build the jail's filter: %w", err)
	}
	return nil
}

func checkToolchain(ctx context.Context, h Host, stateDir string) error {
	m, err := h.LoadManifest(stateDir)
	if err != nil {
		return err
	}
	problems, err := h.HostPathProblems(ctx, m, stateDir)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		var b strings.Builder
		for i, p := range problems {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(p.String())
		}
		return fmt.Errorf("%d host file(s) not provided by the listed packages: %s", len(problems), b.String())
	}
	return nil
}

// statusField reads "Name:\tvalue" from /proc/self/status.
func statusField(status []byte, name string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(string(status)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
