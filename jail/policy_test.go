package jail

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClampLimits(t *testing.T) {
	def := Limits{WallTimeMS: 10_000, CPUTimeMS: 10_000, MemoryBytes: 100, Pids: 10,
		OutputBytes: 100, WorkDirBytes: 100, FileSizeBytes: 100, OpenFiles: 10}
	max := Limits{WallTimeMS: 60_000, CPUTimeMS: 60_000, MemoryBytes: 1000, Pids: 100,
		OutputBytes: 1000, WorkDirBytes: 1000, FileSizeBytes: 1000, OpenFiles: 100}

	// Zero (and negative) fields take the defaults.
	require.Equal(t, def, ClampLimits(Limits{}, def, max))
	neg := ClampLimits(Limits{WallTimeMS: -1, MemoryBytes: -5}, def, max)
	require.Equal(t, def.WallTimeMS, neg.WallTimeMS)
	require.Equal(t, def.MemoryBytes, neg.MemoryBytes)

	// Lower than the default: kept.
	low := Limits{WallTimeMS: 1000, CPUTimeMS: 1000, MemoryBytes: 1, Pids: 1,
		OutputBytes: 1, WorkDirBytes: 1, FileSizeBytes: 1, OpenFiles: 1}
	require.Equal(t, low, ClampLimits(low, def, max))

	// Between default and maximum: kept.
	mid := Limits{WallTimeMS: 30_000, CPUTimeMS: 30_000, MemoryBytes: 500, Pids: 50,
		OutputBytes: 500, WorkDirBytes: 500, FileSizeBytes: 500, OpenFiles: 50}
	require.Equal(t, mid, ClampLimits(mid, def, max))

	// Above the maximum: every field is lowered to it.
	huge := Limits{WallTimeMS: 3_600_000, CPUTimeMS: 3_600_000, MemoryBytes: 1 << 40, Pids: 1 << 20,
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
	require.NoError(t, p.Validate())
	require.Equal(t, DefaultUID, p.UID)
	require.Equal(t, DefaultGID, p.GID)
	require.Equal(t, DefaultHostname, p.Hostname)
	require.Equal(t, DefaultLimits(), p.DefaultLimits)
	require.Equal(t, MaxLimits(), p.MaxLimits)

	// Limits are filled field by field; a missing default follows a
	// lowered maximum.
	p = Policy{DefaultLimits: Limits{Pids: 7}, MaxLimits: Limits{MemoryBytes: 1 << 20}}.withDefaults()
	require.NoError(t, p.Validate())
	require.Equal(t, int64(7), p.DefaultLimits.Pids)
	require.Equal(t, int64(1<<20), p.DefaultLimits.MemoryBytes)
	require.Equal(t, int64(1<<20), p.MaxLimits.MemoryBytes)
	require.Equal(t, MaxLimits().Pids, p.MaxLimits.Pids)
	require.Equal(t, DefaultLimits().WallTimeMS, p.DefaultLimits.WallTimeMS)

	bad := []struct {
		name string
		key  string // the key the refusal must name
		mut  func(*Policy)
	}{
		{"relative read-only path", "read_only_paths[0]", func(p *Policy) { p.ReadOnlyPaths = []string{"usr"} }},
		{"unclean read-only path", "read_only_paths[0]", func(p *Policy) { p.ReadOnlyPaths = []string{"/usr/../etc"} }},
		{"host root", "read_only_paths[0]", func(p *Policy) { p.ReadOnlyPaths = []string{"/"} }},
		{"reserved /proc", "read_only_paths[1]", func(p *Policy) { p.ReadOnlyPaths = []string{"/usr", "/proc/self"} }},
		{"reserved /work", "read_only_paths[0]", func(p *Policy) { p.ReadOnlyPaths = []string{"/work"} }},
		{"missing path", "read_only_paths[0]", func(p *Policy) { p.ReadOnlyPaths = []string{"/nonexistent-jail-path"} }},
		{"default above max", "default_limits.memory_bytes", func(p *Policy) { p.DefaultLimits.MemoryBytes = p.MaxLimits.MemoryBytes + 1 }},
		{"negative default", "default_limits.pids", func(p *Policy) { p.DefaultLimits.Pids = -1 }},
		{"negative max", "max_limits.pids", func(p *Policy) { p.MaxLimits.Pids = -1 }},
		{"zero max", "max_limits.wall_time_ms", func(p *Policy) { p.MaxLimits.WallTimeMS = 0 }},
		{"max above ceiling", "max_limits.open_files", func(p *Policy) { p.MaxLimits.OpenFiles = 1<<20 + 1 }},
		{"sub-second cpu", "default_limits.cpu_time_ms", func(p *Policy) { p.DefaultLimits.CPUTimeMS = 1 }},
		{"sub-second cpu max", "max_limits.cpu_time_ms", func(p *Policy) { p.MaxLimits.CPUTimeMS = 999 }},
		{"bad hostname", "hostname", func(p *Policy) { p.Hostname = "a b" }},
		{"cgroup escape", "cgroup_parent", func(p *Policy) { p.CgroupParent = "../x" }},
		{"cgroup dot", "cgroup_parent", func(p *Policy) { p.CgroupParent = "a/./b" }},
		{"cgroup empty part", "cgroup_parent", func(p *Policy) { p.CgroupParent = "a//b" }},
		{"cgroup odd char", "cgroup_parent", func(p *Policy) { p.CgroupParent = "a b" }},
		{"hostname dash", "hostname", func(p *Policy) { p.Hostname = "-x" }},
		{"relative state dir", "state_dir", func(p *Policy) { p.StateDir = "state" }},
		{"negative uid", "uid", func(p *Policy) { p.UID = -1 }},
		{"root uid", "uid", func(p *Policy) { p.UID = 0 }},
		{"root gid", "gid", func(p *Policy) { p.GID = 0 }},
		{"tiny tmp", "tmp_bytes", func(p *Policy) { p.TmpBytes = 4095 }},
		{"tiny cpu quota", "cpu_quota_millicores", func(p *Policy) { p.CPUQuotaMillicores = 9 }},
		{"zero collect cap", "max_collect_file_bytes", func(p *Policy) { p.MaxCollectFileBytes = 0 }},
	}
	for _, ok := range []func(*Policy){
		func(p *Policy) { p.CgroupParent = "/abs/olute.slice" },
		func(p *Policy) { p.Hostname = "build-1" },
		func(p *Policy) { p.DefaultLimits = Limits{} }, // follows the maxima
	} {
		p := Policy{}.withDefaults()
		ok(&p)
		require.NoError(t, p.Validate())
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			p := Policy{}.withDefaults()
			tc.mut(&p)
			require.ErrorContains(t, p.Validate(), tc.key+": ")
		})
	}
}

// DefaultPolicy is valid and is what New makes of a zero policy.
func TestDefaultPolicy(t *testing.T) {
	d := DefaultPolicy()
	require.NoError(t, d.Validate())
	require.Equal(t, Policy{}.withDefaults(), d.withDefaults())
	require.Equal(t, DefaultLimits(), d.withDefaults().DefaultLimits)
	require.NoError(t, MaxLimits().Validate(LimitCeilings()))
	require.NoError(t, DefaultLimits().Validate(MaxLimits()))
}

// fields names every limit, by its JSON key, so that filling, clamping
// and validating cannot miss one.
func TestLimitFieldsCoverTheStruct(t *testing.T) {
	var l Limits
	fs := l.fields()
	typ := reflect.TypeOf(l)
	require.Len(t, fs, typ.NumField())
	for i, f := range fs {
		require.Equal(t, typ.Field(i).Tag.Get("json"), f.key)
		*f.v = int64(i + 1)
		require.Equal(t, int64(i+1), reflect.ValueOf(l).Field(i).Int(), f.key)
	}
	b, err := json.Marshal(l)
	require.NoError(t, err)
	require.JSONEq(t, `{"wall_time_ms":1,"cpu_time_ms":2,"memory_bytes":3,"pids":4,"output_bytes":5,
		"work_dir_bytes":6,"file_size_bytes":7,"open_files":8}`, string(b))
	require.Equal(t, int64(1e6), l.WallTime().Nanoseconds())
	require.Equal(t, int64(2e6), l.CPUTime().Nanoseconds())
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
