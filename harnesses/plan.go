package harnesses

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/project"
)

// Plan is a harness's plan for one request. The service compiles Source
// (unless Steps says not to), runs the module with Input (if Steps says
// so), and hands what became of it to Report, once: the harness reads its
// own outcome back, in the stub's terms.
type Plan struct {
	// Source is the whole main.rs, Edition its edition ("" means 2021).
	Source  []byte
	Edition string
	// Lines says where each line of Source came from.
	Lines LineMap
	// Steps says how far the request goes.
	Steps Steps
	// Input is what the program gets when it runs.
	Input Input
	// Test compiles the crate's tests (rustc --test) rather than the
	// crate: the test harness, and test_harness examples.
	Test bool
	// Drive, if set, replaces the plan's one run with Input: it runs
	// the module as often as it needs (each call of run is a fresh
	// instance) and returns the run the response reports. Its error is
	// the machinery's (a run that could not be made), never a test's.
	Drive func(run RunFunc) (*outcome.Run, error)

	// read, if set, reads what the run wrote (stdout, virtual-socket
	// responses, records) into the harness's structured result
	// (run.result). Its work must be linear in what it reads.
	read func(run *outcome.Run) (json.RawMessage, error)
	// judge, if set, is the harness's verdict on the whole request (the
	// response's result), from whatever was compiled and run: it is
	// called even when nothing was.
	judge func(compile *outcome.Compile, run *outcome.Run) (json.RawMessage, error)
}

// Steps says how far a plan goes.
type Steps uint8

const (
	// CompileAndRun: compile Source and run the module (the default).
	CompileAndRun Steps = iota
	// CompileOnly: compile, but do not run (no_run, compile_fail).
	CompileOnly
	// Skip: neither compile nor run (an ignored example); the verdict
	// says why.
	Skip
)

// RunFunc runs the plan's module once more, in a fresh instance, with in.
type RunFunc func(in Input) (*outcome.Run, error)

// Input is what a planned program receives when it runs.
type Input struct {
	// Args is argv after the program's name.
	Args []string
	// Env is the guest's environment ("KEY=value" each).
	Env []string
	// Stdin is what the guest reads on standard input.
	Stdin []byte
	// Connections are virtual-socket connections the host opens.
	Connections [][]byte
	// TrackResponse makes, for each connection, what tells the host when
	// its response is whole (see runtime.Job.TrackResponse).
	TrackResponse func() ResponseTracker
}

// ResponseTracker follows one connection's response as the program sends
// it (runtime.ResponseTracker): Sent gets each byte once, in order, and
// reports whether the response is now whole.
type ResponseTracker interface {
	Sent(p []byte) (complete bool)
}

// MaxReadBytes caps what a plan's report reads of a run's output (stdout,
// responses and records together). Reading is linear, and with the
// default output caps (1 MiB each) far below this; the cap bounds the
// host's work on guest output whatever the configuration allows.
const MaxReadBytes = 64 << 20

// Report is a harness's reading of what became of its plan, in the stub's
// own terms.
type Report struct {
	// Diagnostics are the compile's structured messages at the stub's
	// lines and columns; one in the harness's own code has no position.
	Diagnostics []outcome.Diagnostic
	// CompileStderr is the compile's rendered output, its locations and
	// gutter numbers in the stub's numbering.
	CompileStderr string
	// RunStderr is the run's stderr, its panic locations in the stub's
	// numbering.
	RunStderr string
	// RunResult is the harness's structured reading of the run (the
	// response's run.result), if it has one.
	RunResult json.RawMessage
	// Verdict is the harness's judgement of the whole request (the
	// response's result), if it gives one.
	Verdict json.RawMessage
	// ReadTime is how long reading the run's output took: host work on
	// the guest's output, which the service counts as the run's.
	ReadTime time.Duration
}

// Report turns what became of the plan into the harness's report. compile
// is nil when nothing was compiled (Skip), run when nothing ran (a
// compile-only plan, a failed compile). Its error is the harness's own
// failure, never the program's.
func (p Plan) Report(compile *outcome.Compile, run *outcome.Run) (Report, error) {
	var rep Report
	if compile != nil {
		rep.Diagnostics = p.StubDiagnostics(compile.Diagnostics)
		rep.CompileStderr = p.Lines.RenderedInStub(compile.Stderr)
	}
	if run != nil {
		rep.RunStderr = p.Lines.PanicsInStub(string(run.Stderr))
		if p.read != nil {
			start := time.Now()
			result, err := p.readCapped(run)
			if err != nil {
				return Report{}, fmt.Errorf("read the run: %w", err)
			}
			rep.RunResult, rep.ReadTime = result, time.Since(start)
		}
	}
	if p.judge != nil {
		verdict, err := p.judge(compile, run)
		if err != nil {
			return Report{}, fmt.Errorf("judge: %w", err)
		}
		rep.Verdict = verdict
	}
	return rep, nil
}

// StubDiagnostics are a compile's diagnostics at the stub's lines and
// columns (Report's Diagnostics); one in the harness's own code has no
// position. It is pure, so the service can tell them before the run.
func (p Plan) StubDiagnostics(ds []outcome.Diagnostic) []outcome.Diagnostic {
	out := make([]outcome.Diagnostic, 0, len(ds))
	for _, d := range ds {
		// A project's other files are the project's as sent: only the
		// crate root is the harness's Source.
		if d.File == "" || d.File == project.BinRoot || d.File == project.LibRoot {
			d.Line, d.Column = p.Lines.StubPosition(d.Line, d.Column)
		}
		out = append(out, d)
	}
	return out
}

// readCapped reads run with p.read, unless its output is past
// MaxReadBytes: then run.result only says so.
func (p Plan) readCapped(run *outcome.Run) (json.RawMessage, error) {
	size := len(run.Stdout)
	for _, r := range run.Responses {
		size += len(r)
	}
	for _, r := range run.Records {
		size += len(r)
	}
	if size > MaxReadBytes {
		return json.Marshal(map[string]string{"error": fmt.Sprintf("the run's output (%d bytes) is more than the harness reads (%d bytes)", size, MaxReadBytes)})
	}
	return p.read(run)
}
