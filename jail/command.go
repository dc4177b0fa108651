package jail

import (
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// Limits bound one command: plain data, in the units their names say. In a
// command, a zero field means "use the runner's default"; a policy's
// DefaultLimits and MaxLimits use the same shape and keys.
type Limits struct {
	// WallTimeMS is the wall-clock deadline; the whole process tree is
	// killed at it.
	WallTimeMS int64 `json:"wall_time_ms"`
	// CPUTimeMS is RLIMIT_CPU (rounded up to whole seconds) and the
	// cgroup CPU budget.
	CPUTimeMS     int64 `json:"cpu_time_ms"`
	MemoryBytes   int64 `json:"memory_bytes"`    // cgroup memory (+swap) limit
	Pids          int64 `json:"pids"`            // cgroup pids limit (threads count)
	OutputBytes   int64 `json:"output_bytes"`    // cap on each of stdout and stderr; excess is dropped and flagged
	WorkDirBytes  int64 `json:"work_dir_bytes"`  // size of the per-job writable work directory
	FileSizeBytes int64 `json:"file_size_bytes"` // RLIMIT_FSIZE
	OpenFiles     int64 `json:"open_files"`      // RLIMIT_NOFILE
}

// WallTime is WallTimeMS as a duration.
func (l Limits) WallTime() time.Duration { return time.Duration(l.WallTimeMS) * time.Millisecond }

// CPUTime is CPUTimeMS as a duration.
func (l Limits) CPUTime() time.Duration { return time.Duration(l.CPUTimeMS) * time.Millisecond }

// fields lists the limits by JSON key, in declaration order, so that
// filling, clamping and validating treat every limit alike.
func (l *Limits) fields() []limitField {
	return []limitField{
		{"wall_time_ms", &l.WallTimeMS},
		{"cpu_time_ms", &l.CPUTimeMS},
		{"memory_bytes", &l.MemoryBytes},
		{"pids", &l.Pids},
		{"output_bytes", &l.OutputBytes},
		{"work_dir_bytes", &l.WorkDirBytes},
		{"file_size_bytes", &l.FileSizeBytes},
		{"open_files", &l.OpenFiles},
	}
}

type limitField struct {
	key string
	v   *int64
}

// Command is one program to run on untrusted-derived input. Paths in Path
// and Args that are absolute refer to the host's toolchain, which a jail
// mounts read-only at the same place; relative paths are in the work
// directory, which is also the working directory.
type Command struct {
	Path  string
	Args  []string          // argv[1:]
	Env   []string          // the complete environment; nothing is inherited
	Files map[string][]byte // written into the work directory before start
	// Stdin is what the command reads on standard input (nothing, at
	// once EOF, when empty): a tool that reads its input there (rustfmt)
	// needs no file, and so has none to follow.
	Stdin []byte
	// Collect names files read back from the work directory after exit.
	// A missing file is simply absent from Result.Files.
	Collect []string
	// CollectTrees names directories read back whole after exit: every
	// regular file below each, at any depth, goes into Result.Files by
	// its path (symlinks, devices and anything else are left out, as
	// for Collect). It is for runners on the jail's side (package
	// incremental), not a request field: the keeper protocol does not
	// carry it.
	CollectTrees []string
	// Incremental names the client's incremental compile directory: an
	// id (64 lowercase hex digits) that the runner owning the
	// directories (package incremental) maps to one it keeps, never a
	// path. "" is none. The jail itself ignores it.
	Incremental string
	Limits      Limits
}

// Usage is the resource report of one command.
type Usage struct {
	Wall            time.Duration
	CPU             time.Duration
	PeakMemoryBytes int64
}

// Result is what a command did. A non-zero exit is a Result, not an error;
// errors are reserved for failures of the runner itself.
type Result struct {
	ExitCode        int
	Signaled        bool
	Stdout, Stderr  []byte
	StdoutTruncated bool
	StderrTruncated bool
	Files           map[string][]byte
	Usage           Usage
	// Limit is the limit that ended the command, if one did.
	Limit outcome.Limit
}
