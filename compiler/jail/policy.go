package jail

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Policy is the operator's configuration of a [Jail]: plain data, checked
// once by [New]. Zero fields take the documented defaults.
type Policy struct {
	// ReadOnlyPaths are absolute host paths (files or directories) mounted
	// read-only, nosuid, nodev at the same path inside the jail, so that
	// toolchain paths mean the same inside and out. A path that is a
	// symlink on the host is recreated as the same symlink (merged-/usr
	// /bin -> usr/bin); its target must be listed too. Binds are not
	// recursive: a separate mount below a listed path must be listed
	// itself. Paths may not be /, or lie in /work, /proc or /dev, which
	// the jail provides.
	ReadOnlyPaths []string `json:"read_only_paths,omitempty"`

	// DefaultLimits apply to a field a command leaves zero; MaxLimits cap
	// what a command may ask for. Filled in field by field: a zero maximum
	// is MaxLimits()'s, a zero default is DefaultLimits()'s lowered to the
	// maximum. A default set above its maximum is an error.
	DefaultLimits Limits `json:"default_limits"`
	MaxLimits     Limits `json:"max_limits"`

	// UID and GID the job runs as. Default 65534 (nobody/nogroup); 0 (root)
	// means the default: the job never runs as root.
	UID int `json:"uid,omitempty"`
	GID int `json:"gid,omitempty"`

	// Hostname inside the jail. Default "sandbox".
	Hostname string `json:"hostname,omitempty"`

	// CgroupParent names the cgroup under which each job gets its own.
	// A relative name is nested under this process's own cgroup (per
	// controller on v1), an absolute one is taken from the hierarchy root.
	// Default "rocket-sandbox-jail".
	CgroupParent string `json:"cgroup_parent,omitempty"`

	// StateDir is the server's directory for the jail. Each job mounts its
	// new root over it inside its own mount namespace (the host sees
	// nothing of that); jobs create nothing in it on the host. Recover
	// empties it. It is created if missing. Default
	// "/run/rocket-sandbox/jail".
	StateDir string `json:"state_dir,omitempty"`

	// TmpBytes is the size of each job's /tmp (a tmpfs). Default 16 MiB.
	TmpBytes int64 `json:"tmp_bytes,omitempty"`

	// CPUQuotaMillicores is the job's CPU bandwidth: 1000 = one full CPU.
	// Default 1000.
	CPUQuotaMillicores int64 `json:"cpu_quota_millicores,omitempty"`

	// MaxCollectFileBytes caps each file read back from the work
	// directory; a larger one is left out of Result.Files. Default 64 MiB.
	MaxCollectFileBytes int64 `json:"max_collect_file_bytes,omitempty"`
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

// DefaultLimits are the limits used when a policy gives none: sized for
// one rustc compile of a single file to wasm.
func DefaultLimits() Limits {
	return Limits{
		WallTime:      30 * time.Second,
		CPUTime:       30 * time.Second,
		MemoryBytes:   1 << 30,
		Pids:          128,
		OutputBytes:   1 << 20,
		WorkDirBytes:  64 << 20,
		FileSizeBytes: 64 << 20,
		OpenFiles:     256,
	}
}

// MaxLimits are the maxima used when a policy gives none.
func MaxLimits() Limits {
	return Limits{
		WallTime:      2 * time.Minute,
		CPUTime:       2 * time.Minute,
		MemoryBytes:   4 << 30,
		Pids:          512,
		OutputBytes:   16 << 20,
		WorkDirBytes:  512 << 20,
		FileSizeBytes: 512 << 20,
		OpenFiles:     4096,
	}
}

// ClampLimits resolves a command's requested limits against a policy's
// defaults and maxima, field by field: a zero (or negative) request takes
// the default, and any value above the maximum is lowered to it. A request
// may lower a limit freely and raise it up to the maximum, never beyond.
func ClampLimits(req, def, max Limits) Limits {
	d := func(r, d, m time.Duration) time.Duration {
		if r <= 0 {
			r = d
		}
		return min(r, m)
	}
	n := func(r, d, m int64) int64 {
		if r <= 0 {
			r = d
		}
		return min(r, m)
	}
	return Limits{
		WallTime:      d(req.WallTime, def.WallTime, max.WallTime),
		CPUTime:       d(req.CPUTime, def.CPUTime, max.CPUTime),
		MemoryBytes:   n(req.MemoryBytes, def.MemoryBytes, max.MemoryBytes),
		Pids:          n(req.Pids, def.Pids, max.Pids),
		OutputBytes:   n(req.OutputBytes, def.OutputBytes, max.OutputBytes),
		WorkDirBytes:  n(req.WorkDirBytes, def.WorkDirBytes, max.WorkDirBytes),
		FileSizeBytes: n(req.FileSizeBytes, def.FileSizeBytes, max.FileSizeBytes),
		OpenFiles:     n(req.OpenFiles, def.OpenFiles, max.OpenFiles),
	}
}

// withDefaults returns the policy with zero fields filled in.
func (p Policy) withDefaults() Policy {
	p.MaxLimits = fillLimits(p.MaxLimits, MaxLimits(), MaxLimits())
	p.DefaultLimits = fillLimits(p.DefaultLimits, DefaultLimits(), p.MaxLimits)
	if p.UID == 0 {
		p.UID = DefaultUID
	}
	if p.GID == 0 {
		p.GID = DefaultGID
	}
	if p.Hostname == "" {
		p.Hostname = DefaultHostname
	}
	if p.CgroupParent == "" {
		p.CgroupParent = DefaultCgroupParent
	}
	if p.StateDir == "" {
		p.StateDir = DefaultStateDir
	}
	if p.TmpBytes == 0 {
		p.TmpBytes = DefaultTmpBytes
	}
	if p.CPUQuotaMillicores == 0 {
		p.CPUQuotaMillicores = DefaultCPUQuotaMillicores
	}
	if p.MaxCollectFileBytes == 0 {
		p.MaxCollectFileBytes = DefaultMaxCollectFileBytes
	}
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
	d := func(v, f, m time.Duration) time.Duration {
		if v == 0 {
			return min(f, m)
		}
		return v
	}
	n := func(v, f, m int64) int64 {
		if v == 0 {
			return min(f, m)
		}
		return v
	}
	return Limits{
		WallTime:      d(l.WallTime, fill.WallTime, max.WallTime),
		CPUTime:       d(l.CPUTime, fill.CPUTime, max.CPUTime),
		MemoryBytes:   n(l.MemoryBytes, fill.MemoryBytes, max.MemoryBytes),
		Pids:          n(l.Pids, fill.Pids, max.Pids),
		OutputBytes:   n(l.OutputBytes, fill.OutputBytes, max.OutputBytes),
		WorkDirBytes:  n(l.WorkDirBytes, fill.WorkDirBytes, max.WorkDirBytes),
		FileSizeBytes: n(l.FileSizeBytes, fill.FileSizeBytes, max.FileSizeBytes),
		OpenFiles:     n(l.OpenFiles, fill.OpenFiles, max.OpenFiles),
	}
}

// validate checks a policy that has its defaults filled in.
func (p Policy) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	for _, ro := range p.ReadOnlyPaths {
		switch {
		case !filepath.IsAbs(ro) || filepath.Clean(ro) != ro:
			bad("read-only path %q: must be absolute and clean", ro)
		case ro == "/":
			bad("read-only path %q: the host root may not be bound", ro)
		case within(ro, "/work") || within(ro, "/proc") || within(ro, "/dev"):
			bad("read-only path %q: /work, /proc and /dev are the jail's own", ro)
		default:
			if _, err := os.Lstat(ro); err != nil {
				bad("read-only path %q: %w", ro, err)
			}
		}
	}
	checkLimits := func(name string, def, max int64) {
		if def <= 0 || max <= 0 {
			bad("limit %s: default %d and maximum %d must be positive", name, def, max)
		} else if def > max {
			bad("limit %s: default %d exceeds maximum %d", name, def, max)
		}
	}
	dl, ml := p.DefaultLimits, p.MaxLimits
	checkLimits("WallTime", int64(dl.WallTime), int64(ml.WallTime))
	checkLimits("CPUTime", int64(dl.CPUTime), int64(ml.CPUTime))
	checkLimits("MemoryBytes", dl.MemoryBytes, ml.MemoryBytes)
	checkLimits("Pids", dl.Pids, ml.Pids)
	checkLimits("OutputBytes", dl.OutputBytes, ml.OutputBytes)
	checkLimits("WorkDirBytes", dl.WorkDirBytes, ml.WorkDirBytes)
	checkLimits("FileSizeBytes", dl.FileSizeBytes, ml.FileSizeBytes)
	checkLimits("OpenFiles", dl.OpenFiles, ml.OpenFiles)
	if ml.OpenFiles > 1<<20 {
		bad("limit OpenFiles: maximum %d exceeds the kernel's nr_open", ml.OpenFiles)
	}
	if ml.CPUTime < time.Second || dl.CPUTime < time.Second {
		bad("limit CPUTime: RLIMIT_CPU counts whole seconds; use at least 1s")
	}
	if p.UID < 0 || p.GID < 0 {
		bad("uid %d / gid %d: must not be negative", p.UID, p.GID)
	}
	if !validHostname(p.Hostname) {
		bad("hostname %q: not a valid host name", p.Hostname)
	}
	if !validCgroupParent(p.CgroupParent) {
		bad("cgroup parent %q: want a name like rocket-sandbox or /a/b", p.CgroupParent)
	}
	if !filepath.IsAbs(p.StateDir) || filepath.Clean(p.StateDir) != p.StateDir || p.StateDir == "/" {
		bad("state dir %q: must be an absolute, clean path other than /", p.StateDir)
	}
	if p.TmpBytes < 4096 {
		bad("TmpBytes %d: must be at least 4096", p.TmpBytes)
	}
	if p.CPUQuotaMillicores < 10 {
		bad("CPUQuotaMillicores %d: must be at least 10", p.CPUQuotaMillicores)
	}
	if p.MaxCollectFileBytes <= 0 {
		bad("MaxCollectFileBytes %d: must be positive", p.MaxCollectFileBytes)
	}
	return errors.Join(errs...)
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}
