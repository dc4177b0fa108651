package jail

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
)

// Policy is the operator's configuration of a [Jail]: plain data, its
// defaults in [DefaultPolicy], checked by [Policy.Validate]. [New] (and
// [Policy.ForInstance]) fill zero fields with the defaults first, a
// convenience for policies built in code.
type Policy struct {
	// ReadOnlyPaths are absolute host paths (files or directories) mounted
	// read-only, nosuid, nodev at the same path inside the jail, so that
	// toolchain paths mean the same inside and out. A path that is a
	// symlink on the host is recreated as the same symlink (merged-/usr
	// /bin -> usr/bin); its target must be listed too. Binds are not
	// recursive: a separate mount below a listed path must be listed
	// itself. Paths may not be /, or lie in /work, /proc or /dev, which
	// the jail provides.
	ReadOnlyPaths []string `json:"read_only_paths"`

	// DefaultLimits apply to a field a command leaves zero; MaxLimits cap
	// what a command may ask for. Filled in field by field: a zero maximum
	// is MaxLimits()'s, a zero default is DefaultLimits()'s lowered to the
	// maximum. A default set above its maximum is an error.
	DefaultLimits Limits `json:"default_limits"`
	MaxLimits     Limits `json:"max_limits"`

	// UID and GID the job runs as. Default 65534 (nobody/nogroup). The
	// job never runs as root: Validate refuses 0, and New reads a zero
	// as the default.
	UID int `json:"uid"`
	GID int `json:"gid"`

	// Hostname inside the jail. Default "sandbox".
	Hostname string `json:"hostname"`

	// CgroupParent names the cgroup under which each job gets its own.
	// A relative name is nested under this process's own cgroup (per
	// controller on v1), an absolute one is taken from the hierarchy root.
	// Default "rocket-sandbox-jail".
	CgroupParent string `json:"cgroup_parent"`

	// StateDir is the server's directory for the jail. Each job mounts its
	// new root over it inside its own mount namespace (the host sees
	// nothing of that); jobs create nothing in it on the host. Recover
	// empties it. It is created if missing. Default
	// "/run/rocket-sandbox/jail".
	StateDir string `json:"state_dir"`

	// TmpBytes is the size of each job's /tmp (a tmpfs). Default 16 MiB.
	TmpBytes int64 `json:"tmp_bytes"`

	// CPUQuotaMillicores is the job's CPU bandwidth: 1000 = one full CPU.
	// Default 1000.
	CPUQuotaMillicores int64 `json:"cpu_quota_millicores"`

	// MaxCollectFileBytes caps each file read back from the work
	// directory; a larger one is left out of Result.Files. Default 64 MiB.
	MaxCollectFileBytes int64 `json:"max_collect_file_bytes"`
}

// Policy defaults.
const (
	DefaultUID                 = 65534
	DefaultGID                 = 65534
	DefaultHostname            = "sandbox"
	DefaultCgroupParent        = "rocket-sandbox-jail"
	DefaultStateDir            = "/run/rocket-sandbox/jail"
	DefaultTmpBytes            = 16 << 20
	DefaultCPUQuotaMillicores  = 1000
	DefaultMaxCollectFileBytes = 64 << 20
)

// DefaultPolicy returns the documented defaults. Its DefaultLimits are
// zero: each follows DefaultLimits(), lowered to the maximum, so that
// lowering a maximum alone is enough.
func DefaultPolicy() Policy {
	return Policy{
		MaxLimits:           MaxLimits(),
		UID:                 DefaultUID,
		GID:                 DefaultGID,
		Hostname:            DefaultHostname,
		CgroupParent:        DefaultCgroupParent,
		StateDir:            DefaultStateDir,
		TmpBytes:            DefaultTmpBytes,
		CPUQuotaMillicores:  DefaultCPUQuotaMillicores,
		MaxCollectFileBytes: DefaultMaxCollectFileBytes,
	}
}

// DefaultLimits are the limits used when a policy gives none: sized for
// one rustc compile of a single file to wasm.
func DefaultLimits() Limits {
	return Limits{
		WallTimeMS:  30_000,
		CPUTimeMS:   30_000,
		MemoryBytes: 1 << 30,
		Pids:        128,
		OutputBytes: 1 << 20,
		// A compile's work directory holds its incremental directory
		// (rustc's object files and query cache, the size of a large
		// static again) beside the module: 256 MiB, charged only as used.
		WorkDirBytes:  256 << 20,
		FileSizeBytes: 64 << 20,
		OpenFiles:     256,
	}
}

// MaxLimits are the maxima used when a policy gives none.
func MaxLimits() Limits {
	return Limits{
		WallTimeMS:    120_000,
		CPUTimeMS:     120_000,
		MemoryBytes:   4 << 30,
		Pids:          512,
		OutputBytes:   16 << 20,
		WorkDirBytes:  512 << 20,
		FileSizeBytes: 512 << 20,
		OpenFiles:     4096,
	}
}

// LimitFloors are the smallest limits a policy accepts: RLIMIT_CPU counts
// whole seconds, so a CPU budget under one second cannot be enforced.
func LimitFloors() Limits {
	return Limits{WallTimeMS: 1, CPUTimeMS: 1000, MemoryBytes: 1, Pids: 1,
		OutputBytes: 1, WorkDirBytes: 1, FileSizeBytes: 1, OpenFiles: 1}
}

// LimitCeilings are the largest limits a policy accepts: an hour of time,
// 1 TiB of memory or disk, the kernel's PID_MAX_LIMIT and nr_open.
func LimitCeilings() Limits {
	return Limits{
		WallTimeMS:    3_600_000,
		CPUTimeMS:     3_600_000,
		MemoryBytes:   1 << 40,
		Pids:          1 << 22,
		OutputBytes:   1 << 30,
		WorkDirBytes:  1 << 40,
		FileSizeBytes: 1 << 40,
		OpenFiles:     1 << 20,
	}
}

// ClampLimits resolves a command's requested limits against a policy's
// defaults and maxima, field by field: a zero (or negative) request takes
// the default, and any value above the maximum is lowered to it. A request
// may lower a limit freely and raise it up to the maximum, never beyond.
func ClampLimits(req, def, max Limits) Limits {
	out := req
	o, d, m := out.fields(), def.fields(), max.fields()
	for i := range o {
		if *o[i].v <= 0 {
			*o[i].v = *d[i].v
		}
		*o[i].v = min(*o[i].v, *m[i].v)
	}
	return out
}

// Validate checks limits a command asks for (a policy's default limits,
// the service's compile limits): each is 0 (the default) or within the
// floor and max.
func (l Limits) Validate(max Limits) error {
	var list check.List
	l.check(&list, "", LimitFloors(), max, true)
	return list.Err()
}

// check adds a problem for each field outside lo..hi (or, with zeroOK,
// not 0 either) to list, under prefix.
func (l Limits) check(list *check.List, prefix string, lo, hi Limits, zeroOK bool) {
	f, a, b := l.fields(), lo.fields(), hi.fields()
	for i := range f {
		key := check.Join(prefix, f[i].key)
		if zeroOK {
			check.RangeOrZero(list, key, *f[i].v, *a[i].v, *b[i].v)
		} else {
			check.Range(list, key, *f[i].v, *a[i].v, *b[i].v)
		}
	}
}

// withDefaults returns the policy with zero fields filled in: the limits
// field by field, a default limit lowered to its maximum.
func (p Policy) withDefaults() Policy {
	p.MaxLimits = fillLimits(p.MaxLimits, MaxLimits(), MaxLimits())
	p.DefaultLimits = fillLimits(p.DefaultLimits, DefaultLimits(), p.MaxLimits)
	p = check.WithDefaults(p, DefaultPolicy())
	p.ReadOnlyPaths = coveredDropped(p.ReadOnlyPaths)
	return p
}

// coveredDropped sorts paths and drops each one that lies inside another
// listed path: the parent's bind already shows it, read-only, and a mount
// point cannot be made inside a bind that is already read-only. (A path
// that is a separate mount on the host is the exception binds do not
// cover; see ReadOnlyPaths.)
func coveredDropped(paths []string) []string {
	sorted := append([]string(nil), paths...)
	sort.Strings(sorted)
	var out []string
	for _, p := range sorted {
		p = filepath.Clean(p)
		if n := len(out); n > 0 && (p == out[n-1] || strings.HasPrefix(p, out[n-1]+"/")) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// validHostname accepts one DNS label: letters, digits and inner dashes.
// (Plain code, not a package-level regexp: every job's init runs this
// package's initialisation, and compiling regexps there costs time.)
func validHostname(h string) bool {
	if len(h) == 0 || len(h) > 63 || h[0] == '-' || h[len(h)-1] == '-' {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// validCgroupParent accepts a relative or absolute slash-separated path of
// names made of letters, digits, '_', '-' and '.', without "." or "..".
func validCgroupParent(p string) bool {
	for _, part := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if part == "" || part == "." || part == ".." {
			return false
		}
		for _, c := range part {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
				return false
			}
		}
	}
	return true
}

// fillLimits replaces the zero fields of l with fill's, lowered to max.
func fillLimits(l, fill, max Limits) Limits {
	out := l
	o, f, m := out.fields(), fill.fields(), max.fields()
	for i := range o {
		if *o[i].v == 0 {
			*o[i].v = min(*f[i].v, *m[i].v)
		}
	}
	return out
}

// Validate checks the policy as data, naming each bad value by its key.
// Zero default limits are allowed (they follow the maxima); every other
// field must be set, as DefaultPolicy sets it. New fills zero fields with
// the defaults before validating.
func (p Policy) Validate() error {
	var list check.List
	for i, ro := range p.ReadOnlyPaths {
		key := fmt.Sprintf("read_only_paths[%d]", i)
		switch {
		case !filepath.IsAbs(ro) || filepath.Clean(ro) != ro:
			list.Add(key, "%q must be absolute and clean", ro)
		case ro == "/":
			list.Add(key, "%q: the host root may not be bound", ro)
		case within(ro, "/work") || within(ro, "/proc") || within(ro, "/dev"):
			list.Add(key, "%q: /work, /proc and /dev are the jail's own", ro)
		default:
			if _, err := os.Lstat(ro); err != nil {
				list.Add(key, "%q: %v", ro, err)
			}
		}
	}
	p.MaxLimits.check(&list, "max_limits", LimitFloors(), LimitCeilings(), false)
	p.DefaultLimits.check(&list, "default_limits", LimitFloors(), p.MaxLimits, true)
	// 0 would be root: the job never runs as root.
	check.Range(&list, "uid", p.UID, 1, 1<<31-1)
	check.Range(&list, "gid", p.GID, 1, 1<<31-1)
	if !validHostname(p.Hostname) {
		list.Add("hostname", "%q is not a valid host name (one DNS label)", p.Hostname)
	}
	if !validCgroupParent(p.CgroupParent) {
		list.Add("cgroup_parent", "%q: want a name like rocket-sandbox or /a/b", p.CgroupParent)
	}
	if !filepath.IsAbs(p.StateDir) || filepath.Clean(p.StateDir) != p.StateDir || p.StateDir == "/" {
		list.Add("state_dir", "%q must be an absolute, clean path other than /", p.StateDir)
	}
	check.Range(&list, "tmp_bytes", p.TmpBytes, 4096, 1<<40)
	check.Range(&list, "cpu_quota_millicores", p.CPUQuotaMillicores, 10, 1_000_000)
	check.Range(&list, "max_collect_file_bytes", p.MaxCollectFileBytes, 1, 1<<40)
	return list.Err()
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}
