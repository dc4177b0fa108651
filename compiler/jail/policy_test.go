package jail

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestClampLimits(t *testing.T) {
	def := Limits{WallTime: 10 * time.Second, CPUTime: 10 * time.Second, MemoryBytes: 100, Pids: 10,
		OutputBytes: 100, WorkDirBytes: 100, FileSizeBytes: 100, OpenFiles: 10}
	max := Limits{WallTime: 60 * time.Second, CPUTime: 60 * time.Second, MemoryBytes: 1000, Pids: 100,
		OutputBytes: 1000, WorkDirBytes: 1000, FileSizeBytes: 1000, OpenFiles: 100}

	// Zero (and negative) fields take the defaults.
	require.Equal(t, def, ClampLimits(Limits{}, def, max))
	neg := ClampLimits(Limits{WallTime: -1, MemoryBytes: -5}, def, max)
	require.Equal(t, def.WallTime, neg.WallTime)
	require.Equal(t, def.MemoryBytes, neg.MemoryBytes)

	// Lower than the default: kept.
	low := Limits{WallTime: time.Second, CPUTime: time.Second, MemoryBytes: 1, Pids: 1,
		OutputBytes: 1, WorkDirBytes: 1, FileSizeBytes: 1, OpenFiles: 1}
	require.Equal(t, low, ClampLimits(low, def, max))

	// Between default and maximum: kept.
	mid := Limits{WallTime: 30 * time.Second, CPUTime: 30 * time.Second, MemoryBytes: 500, Pids: 50,
		OutputBytes: 500, WorkDirBytes: 500, FileSizeBytes: 500, OpenFiles: 50}
	require.Equal(t, mid, ClampLimits(mid, def, max))

	// Above the maximum: every field is lowered to it.
	huge := Limits{WallTime: time.Hour, CPUTime: time.Hour, MemoryBytes: 1 << 40, Pids: 1 << 20,
		OutputBytes: 1 << 40, WorkDirBytes: 1 << 40, FileSizeBytes: 1 << 40, OpenFiles: 1 << 20}
	require.Equal(t, max, ClampLimits(huge, def, max))

	// Field by field: one over, one under, one zero.
	got := ClampLimits(Limits{MemoryBytes: 5000, Pids: 3}, def, max)
	require.Equal(t, int64(1000), got.MemoryBytes)
	require.Equal(t, int64(3), got.Pids)
	require.Equal(t, def.OutputBytes, got.OutputBytes)
}

func TestPolicyDefaultsAndValidation(t *testing.T) {
	p := Policy{}.withDefaults()
	require.NoError(t, p.validate())
	require.Equal(t, DefaultUID, p.UID)
	require.Equal(t, DefaultGID, p.GID)
	require.Equal(t, DefaultHostname, p.Hostname)
	require.Equal(t, DefaultLimits(), p.DefaultLimits)
	require.Equal(t, MaxLimits(), p.MaxLimits)

	// Limits are filled field by field; a missing default follows a
	// lowered maximum.
	p = Policy{DefaultLimits: Limits{Pids: 7}, MaxLimits: Limits{MemoryBytes: 1 << 20}}.withDefaults()
	require.NoError(t, p.validate())
	require.Equal(t, int64(7), p.DefaultLimits.Pids)
	require.Equal(t, int64(1<<20), p.DefaultLimits.MemoryBytes)
	require.Equal(t, int64(1<<20), p.MaxLimits.MemoryBytes)
	require.Equal(t, MaxLimits().Pids, p.MaxLimits.Pids)
	require.Equal(t, DefaultLimits().WallTime, p.DefaultLimits.WallTime)

	bad := []struct {
		name string
		mut  func(*Policy)
	}{
		{"relative read-only path", func(p *Policy) { p.ReadOnlyPaths = []string{"usr"} }},
		{"unclean read-only path", func(p *Policy) { p.ReadOnlyPaths = []string{"/usr/../etc"} }},
		{"host root", func(p *Policy) { p.ReadOnlyPaths = []string{"/"} }},
		{"reserved /proc", func(p *Policy) { p.ReadOnlyPaths = []string{"/proc/self"} }},
		{"reserved /work", func(p *Policy) { p.ReadOnlyPaths = []string{"/work"} }},
		{"missing path", func(p *Policy) { p.ReadOnlyPaths = []string{"/nonexistent-jail-path"} }},
		{"default above max", func(p *Policy) { p.DefaultLimits.MemoryBytes = p.MaxLimits.MemoryBytes + 1 }},
		{"negative max", func(p *Policy) { p.MaxLimits.Pids = -1 }},
		{"sub-second cpu", func(p *Policy) { p.DefaultLimits.CPUTime = time.Millisecond }},
		{"bad hostname", func(p *Policy) { p.Hostname = "a b" }},
		{"cgroup escape", func(p *Policy) { p.CgroupParent = "../x" }},
		{"cgroup dot", func(p *Policy) { p.CgroupParent = "a/./b" }},
		{"cgroup empty part", func(p *Policy) { p.CgroupParent = "a//b" }},
		{"cgroup odd char", func(p *Policy) { p.CgroupParent = "a b" }},
		{"hostname dash", func(p *Policy) { p.Hostname = "-x" }},
		{"relative state dir", func(p *Policy) { p.StateDir = "state" }},
		{"negative uid", func(p *Policy) { p.UID = -1 }},
	}
	for _, ok := range []func(*Policy){
		func(p *Policy) { p.CgroupParent = "/abs/olute.slice" },
		func(p *Policy) { p.Hostname = "build-1" },
	} {
		p := Policy{}.withDefaults()
		ok(&p)
		require.NoError(t, p.validate())
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			p := Policy{}.withDefaults()
			tc.mut(&p)
			require.Error(t, p.validate())
		})
	}
}

// New refuses a bad policy at start-up, including a read-only path below a
// symlink, whose mount point would resolve outside the new root.
func TestNewRejectsBadPolicy(t *testing.T) {
	_, err := New(Policy{ReadOnlyPaths: []string{"relative"}, StateDir: t.TempDir()})
	require.ErrorContains(t, err, "bad policy")
	_, err = New(Policy{ReadOnlyPaths: []string{"/bin/sh"}, StateDir: t.TempDir()}) // /bin -> usr/bin
	require.ErrorContains(t, err, "symlink")
}

func TestCoveredPathsAreDropped(t *testing.T) {
	got := coveredDropped([]string{"/usr/bin/rustc", "/usr/lib", "/usr/bin", "/usr/lib/x86_64-linux-gnu", "/usr/bin", "/usr/binary", "/lib"})
	require.Equal(t, []string{"/lib", "/usr/bin", "/usr/binary", "/usr/lib"}, got)
}
