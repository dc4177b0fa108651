package jail

import (
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// Limits bound one command. A zero field means "use the runner's default".
type Limits struct {
	WallTime      time.Duration // wall-clock deadline; the whole process tree is killed at it
	CPUTime       time.Duration // RLIMIT_CPU and the cgroup CPU budget
	MemoryBytes   int64         // cgroup memory (+swap) limit
	Pids          int64         // cgroup pids limit (threads count)
	OutputBytes   int64         // cap on each of stdout and stderr; excess is dropped and flagged
	WorkDirBytes  int64         // size of the per-job writable work directory
	FileSizeBytes int64         // RLIMIT_FSIZE
	OpenFiles     int64         // RLIMIT_NOFILE
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
	// Collect names files read back from the work directory after exit.
	// A missing file is simply absent from Result.Files.
	Collect []string
	Limits  Limits
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
