package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

const goodStatus = "Name:\tx\nCapEff:\t000001ffffffffff\nSeccomp:\t0\n"

// healthyHost is a machine where every check holds.
func healthyHost() Host {
	files := map[string]string{
		"/proc/self/status":                      goodStatus,
		"/sys/fs/cgroup/cgroup.controllers":      "cpuset cpu io memory hugetlb pids rdma misc\n",
		"/proc/sys/kernel/seccomp/actions_avail": "kill_process kill_thread trap errno user_notif trace log allow\n",
	}
	return Host{
		Geteuid: func() int { return 0 },
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			return nil, os.ErrNotExist
		},
		Unshare:         func() error { return nil },
		CgroupMode:      func() string { return "v2" },
		CgroupV1Mounted: func(string) bool { return true },
		SeccompFilter:   func() error { return nil },
		MissingPackages: func(context.Context) ([]string, error) { return nil, nil },
		LoadManifest:    func(string) (*toolchain.Manifest, error) { return &toolchain.Manifest{}, nil },
		HostPathProblems: func(context.Context, *toolchain.Manifest, string) ([]toolchain.HostPathProblem, error) {
			return nil, nil
		},
		WriteProbe: func(string) error { return nil },
		FreeBytes:  func(string) (uint64, error) { return 10 << 30, nil },
	}
}

var cfg = Config{StateDir: "/state", JailStateDir: "/run/jail"}

func TestHealthyHostPassesEveryCheck(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, Report(context.Background(), &out, Checks(healthyHost(), cfg)))
	assert.NotContains(t, out.String(), "FAILED")
	assert.Len(t, Checks(healthyHost(), cfg), 8)
}

// Each case breaks one thing on an otherwise healthy host and expects
// exactly that check to fail, with a reason and the check's fix.
func TestEachCheckFails(t *testing.T) {
	cases := []struct {
		check  string
		why    string
		breakf func(h *Host)
	}{
		{"root or the jail's capabilities", "without CAP_SYS_ADMIN", func(h *Host) {
			h.Geteuid = func() int { return 1000 }
			h.ReadFile = overlay(h.ReadFile, "/proc/self/status", "CapEff:\t0000000000000000\nSeccomp:\t0\n")
		}},
		{"new namespaces (mount, PID, network, IPC, UTS)", "operation not permitted", func(h *Host) {
			h.Unshare = func() error { return errors.New("fork/exec /bin/true: operation not permitted") }
		}},
		{"cgroups with the memory, pids and cpu controllers", "lacks the memory, pids", func(h *Host) {
			h.ReadFile = overlay(h.ReadFile, "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io\n")
		}},
		{"cgroups with the memory, pids and cpu controllers", "not mounted: freezer", func(h *Host) {
			h.CgroupMode = func() string { return "v1" }
			h.CgroupV1Mounted = func(c string) bool { return c != "freezer" }
		}},
		{"cgroups with the memory, pids and cpu controllers", "no cgroup file system", func(h *Host) {
			h.CgroupMode = func() string { return "" }
		}},
		{"seccomp filters", "no seccomp support", func(h *Host) {
			h.ReadFile = overlay(h.ReadFile, "/proc/self/status", "CapEff:\t000001ffffffffff\n")
		}},
		{"seccomp filters", `lacks the "kill_process" action`, func(h *Host) {
			h.ReadFile = overlay(h.ReadFile, "/proc/sys/kernel/seccomp/actions_avail", "errno allow\n")
		}},
		{"seccomp filters", "libseccomp cannot build", func(h *Host) {
			h.SeccompFilter = func() error { return errors.New("libseccomp too old") }
		}},
		{"Debian packages", "not installed: lld-22", func(h *Host) {
			h.MissingPackages = func(context.Context) ([]string, error) { return []string{"lld-22"}, nil }
		}},
		{"prepared toolchain and its host files", "run `make setup`", func(h *Host) {
			h.LoadManifest = func(string) (*toolchain.Manifest, error) {
				return nil, fmt.Errorf("no prepared toolchain in /state: run `make setup` (or `rocket-sandbox setup`) first")
			}
		}},
		{"prepared toolchain and its host files", "/usr/bin/rust-lld: provided by rust-web-llvm", func(h *Host) {
			h.HostPathProblems = func(context.Context, *toolchain.Manifest, string) ([]toolchain.HostPathProblem, error) {
				return []toolchain.HostPathProblem{{Path: "/usr/bin/rust-lld", Message: "provided by rust-web-llvm, which ..."}}, nil
			}
		}},
		{"writable state directories", "/run/jail: read-only file system", func(h *Host) {
			h.WriteProbe = func(d string) error {
				if d == "/run/jail" {
					return errors.New("read-only file system")
				}
				return nil
			}
		}},
		{"free disk space", "100 MiB free, 2048 MiB needed", func(h *Host) {
			h.FreeBytes = func(string) (uint64, error) { return 100 << 20, nil }
		}},
	}
	for _, c := range cases {
		t.Run(c.check+"/"+c.why, func(t *testing.T) {
			h := healthyHost()
			c.breakf(&h)
			checks := Checks(h, cfg)
			failures := Run(context.Background(), checks)
			require.Len(t, failures, 1, "exactly one check fails: %v", failures)
			assert.Equal(t, c.check, failures[0].Check)
			assert.Contains(t, failures[0].Err.Error(), c.why)
			assert.NotEmpty(t, failures[0].Fix)
			err := Error(failures)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "fix: "+failures[0].Fix)
			var out bytes.Buffer
			require.Error(t, Report(context.Background(), &out, checks))
			assert.Contains(t, out.String(), "FAILED  "+c.check)
		})
	}
}

func TestNonRootWithEveryCapabilityPasses(t *testing.T) {
	h := healthyHost()
	h.Geteuid = func() int { return 1000 }
	assert.Empty(t, Run(context.Background(), Checks(h, cfg)))
}

func overlay(read func(string) ([]byte, error), path, content string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if p == path {
			return []byte(content), nil
		}
		return read(p)
	}
}
