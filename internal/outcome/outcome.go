// Package outcome owns the vocabulary of what became of a program: the
// limits the sandbox enforces (Limit), how a compile and a run ended
// (Compile, Run), the compiler's messages (Diagnostic), and the status a
// result reports (Status), with Of, the one mapping from what happened to
// a status, and Run.Succeeded, the one test of "exited 0".
//
// It imports nothing of the project: the jail and the compiler, the wasm
// engine, the harnesses, the service and the tools all speak it, so no
// vocabulary is translated into another on the way.
package outcome

// Limit names the sandbox limit that ended a compile or a run. Its values
// are also the statuses a limit is reported as.
type Limit string

const (
	// LimitNone: no limit was hit.
	LimitNone Limit = ""
	// LimitTime: the wall-clock deadline or the CPU budget ran out.
	LimitTime Limit = "timeout"
	// LimitMemory: more memory was needed than the cap allows.
	LimitMemory Limit = "memory_limit"
	// LimitOutput: stdout, stderr or the virtual-socket responses went past
	// their cap.
	LimitOutput Limit = "output_limit"
)

// Name is the limit as a sentence names it ("time limit").
func (l Limit) Name() string {
	switch l {
	case LimitTime:
		return "time limit"
	case LimitMemory:
		return "memory limit"
	case LimitOutput:
		return "output limit"
	}
	return string(l) + " limit"
}

// status is the result status a limit is reported as.
func (l Limit) status() (Status, bool) {
	switch l {
	case LimitTime:
		return StatusTimeout, true
	case LimitMemory:
		return StatusMemoryLimit, true
	case LimitOutput:
		return StatusOutputLimit, true
	}
	return "", false
}

// Status is how a request's program ended, as a response reports it. A
// request the service refuses has no Status: it is an error.
type Status string

const (
	// StatusOK: compiled and ran to a zero exit (or was compiled only, or
	// nothing was to be done).
	StatusOK Status = "ok"
	// StatusCompileError: no module came out.
	StatusCompileError Status = "compile_error"
	// StatusRuntimeError: the program trapped (a panic aborts) or exited
	// non-zero.
	StatusRuntimeError Status = "runtime_error"
	// StatusTimeout, StatusMemoryLimit and StatusOutputLimit: the compile
	// or the run hit that limit.
	StatusTimeout     Status = "timeout"
	StatusMemoryLimit Status = "memory_limit"
	StatusOutputLimit Status = "output_limit"
)

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case StatusOK, StatusCompileError, StatusRuntimeError, StatusTimeout, StatusMemoryLimit, StatusOutputLimit:
		return true
	}
	return false
}

// Diagnostic is one structured compiler message. Line and Column are
// 1-based; 0 means the message has no position (in a response: none in
// the stub, because it points into harness code).
type Diagnostic struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	// File is the project file the position is in, for a project (a
	// single stub's diagnostics are all in the stub, and name no file).
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// Compile is how a compile ended.
type Compile struct {
	// Success: a module came out.
	Success bool
	// Limit is the limit that stopped the compiler, if one did.
	Limit Limit
	// Diagnostics are the compiler's structured messages, positioned in
	// the source it compiled.
	Diagnostics []Diagnostic
	// Stderr is the compiler's rendered output, as a terminal shows it.
	Stderr string
}

// Run is how a run ended and what the program wrote.
type Run struct {
	// ExitCode is the program's exit status, or nil if it did not exit
	// (it trapped, or a limit stopped it).
	ExitCode *int32
	// Trap says why the program trapped, if it did (for a Rust panic or
	// abort on wasm: "wasm error: unreachable" and a stack trace), or why
	// it could not start (it imports what the sandbox does not provide).
	Trap string
	// Limit is the limit that ended the run, if one did.
	Limit Limit

	Stdout []byte
	Stderr []byte
	// Responses holds what the program sent on each virtual-socket
	// connection, in order (empty for connections it never accepted).
	Responses [][]byte
	// Records are what a harness's own code in the program reported on
	// the host's record channel, in order. RecordsForged is set when
	// something used that channel without the run's key: then no record
	// can be told from a forgery, and none may be believed.
	Records       [][]byte
	RecordsForged bool
}

// Succeeded reports whether the program exited with status 0 on its own:
// no trap, no limit.
func (r Run) Succeeded() bool {
	return r.Limit == LimitNone && r.Trap == "" && r.ExitCode != nil && *r.ExitCode == 0
}

// Of is the status of a request from what became of it: its compile (nil
// when nothing was compiled, e.g. an ignored example) and its run (nil
// when nothing ran: a compile-only request, or a failed compile). A limit
// is reported as itself; a compile without a module is a compile_error;
// a run that did not succeed is a runtime_error.
func Of(compile *Compile, run *Run) Status {
	if compile == nil {
		return StatusOK
	}
	if st, ok := compile.Limit.status(); ok {
		return st
	}
	if !compile.Success {
		return StatusCompileError
	}
	if run == nil {
		return StatusOK
	}
	if st, ok := run.Limit.status(); ok {
		return st
	}
	if !run.Succeeded() {
		return StatusRuntimeError
	}
	return StatusOK
}
