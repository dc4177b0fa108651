package keeper

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/incremental"
	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// Policy is what the keeper will do for the front door: plain data, built
// by the keeper from its own configuration and the prepared toolchain's
// manifest, never from anything the front door says.
type Policy struct {
	// Programs are the absolute paths a compile may run (the manifest's
	// compiler, rustfmt, clippy-driver; the linker is rustc's child, not
	// a request).
	Programs []string
	// Bounds on a compile request's parts.
	MaxArgs, MaxEnv, MaxFiles, MaxCollect int
	// MaxStringBytes bounds each argument, environment entry and file
	// name; MaxFileBytes bounds all input files together.
	MaxStringBytes int
	MaxFileBytes   int64
	// MaxLimits are the compile jail's maxima (jail.max_limits): a limit
	// above them is refused, not clamped. A zero limit means the jail's
	// default.
	MaxLimits jail.Limits
	// Entries are the jail entries a worker may run ("run-worker").
	Entries []string
}

// State is what the keeper has going, for the checks that depend on it:
// a request may name only a worker or a compile of this keeper's that is
// still alive.
type State interface {
	// LiveWorker says whether id names a worker the keeper started and
	// that has not ended.
	LiveWorker(id uint64) bool
	// RunningCompile says whether seq is the number of a compile the
	// keeper is running.
	RunningCompile(seq uint64) bool
}

// Check refuses a request the keeper must not act on, naming every
// offending field by key path; st says which workers and compiles are
// alive.
func (p Policy) Check(r Request, st State) error {
	var l check.List
	switch r.Type {
	case MsgCompile:
		// A number names one compile, so a cancel stops that one.
		if st.RunningCompile(r.Seq) {
			l.Add("seq", "%d is the number of a compile still running", r.Seq)
		}
		p.checkCompile(&l, r.Compile)
	case MsgStartWorker:
		if !slices.Contains(p.Entries, r.Entry) {
			l.Add("entry", "%q is not an entry the keeper starts", r.Entry)
		}
	case MsgKillWorker:
		if !st.LiveWorker(r.Worker) {
			l.Add("worker", "%d is not a live worker of this keeper", r.Worker)
		}
	case MsgCancel:
		if !st.RunningCompile(r.Target) {
			l.Add("target", "%d is not a compile this keeper is running", r.Target)
		}
	default:
		l.Add("type", "unknown request type %d", r.Type)
	}
	if err := l.Err(); err != nil {
		return fmt.Errorf("keeper: request refused: %w", err)
	}
	return nil
}

func (p Policy) checkCompile(l *check.List, c jail.Command) {
	if !filepath.IsAbs(c.Path) || !slices.Contains(p.Programs, c.Path) {
		l.Add("compile.path", "%q is not a program the keeper runs", c.Path)
	}
	check.Range(l, "compile.args", len(c.Args), 0, p.MaxArgs)
	for i, a := range c.Args {
		p.checkString(l, fmt.Sprintf("compile.args[%d]", i), a)
	}
	check.Range(l, "compile.env", len(c.Env), 0, p.MaxEnv)
	for i, e := range c.Env {
		key := fmt.Sprintf("compile.env[%d]", i)
		p.checkString(l, key, e)
		if name, _, ok := strings.Cut(e, "="); !ok || name == "" {
			l.Add(key, "want NAME=value")
		}
	}
	check.Range(l, "compile.files", len(c.Files), 0, p.MaxFiles)
	var total int64
	for _, name := range sortedNames(c.Files) {
		key := "compile.files[" + fmt.Sprintf("%q", name) + "]"
		p.checkString(l, key, name)
		if err := jail.CheckName(name); err != nil {
			l.Add(key, "%v", err)
		}
		if name == incremental.WorkDir || strings.HasPrefix(name, incremental.WorkDir+"/") {
			l.Add(key, "is in the incremental directory, which only the keeper writes")
		}
		total += int64(len(c.Files[name]))
	}
	check.Range(l, "compile.file_bytes", total, 0, p.MaxFileBytes)
	// rustfmt's input: the stub, bounded as the files are.
	check.Range(l, "compile.stdin_bytes", int64(len(c.Stdin)), 0, p.MaxFileBytes)
	check.Range(l, "compile.collect", len(c.Collect), 0, p.MaxCollect)
	for i, name := range c.Collect {
		key := fmt.Sprintf("compile.collect[%d]", i)
		p.checkString(l, key, name)
		if err := jail.CheckName(name); err != nil {
			l.Add(key, "%v", err)
		}
	}
	if c.Incremental != "" && !incremental.ValidID(c.Incremental) {
		l.Add("compile.incremental", "want an id of 64 lowercase hex digits, or none")
	}
	l.Nest("compile.limits", c.Limits.Validate(p.MaxLimits))
}

// checkString refuses a string the kernel would cut (a NUL) or longer
// than the policy's bound.
func (p Policy) checkString(l *check.List, key, s string) {
	if strings.IndexByte(s, 0) >= 0 {
		l.Add(key, "contains a NUL byte")
	}
	check.Range(l, key+".bytes", len(s), 0, p.MaxStringBytes)
}

// Bounds of a compile request beyond what the service's own compiles
// need, by far: rustc's argv is ~40 strings plus the operator's extra
// flags, its environment cargo's ~20 variables and the build's, and one
// file is collected.
const (
	maxArgs        = 1024
	maxEnv         = 256
	maxCollect     = 16
	maxStringBytes = 1 << 20
	// harnessBytes is what a harness may add to a request's files (its
	// wrapper source; a few KiB in practice), and harnessFiles how many.
	harnessBytes = 16 << 20
	harnessFiles = 64
)

// NewPolicy is the keeper's policy: run only programs (absolute paths:
// the prepared toolchain's rustc, and rustfmt and clippy-driver for the
// Format and Clippy buttons), each in a compile jail; input files bounded by what a request
// of maxRequestBytes (server.max_body_bytes) can carry — each file costs
// at least a byte of it — plus what a harness adds; limits within
// maxLimits (the jail's max_limits); workers running only entry. A
// request the server accepted therefore never meets a refusal here.
func NewPolicy(programs []string, maxRequestBytes int64, maxLimits jail.Limits, entry string) Policy {
	return Policy{
		Programs: programs, MaxArgs: maxArgs, MaxEnv: maxEnv,
		MaxFiles: int(maxRequestBytes) + harnessFiles, MaxFileBytes: maxRequestBytes + harnessBytes,
		MaxCollect: maxCollect, MaxStringBytes: maxStringBytes,
		MaxLimits: maxLimits, Entries: []string{entry},
	}
}
