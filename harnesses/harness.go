// Package harnesses owns the trusted code that wraps an untrusted stub:
// each harness is data (id, description, argument schema, example) plus
// a Prepare function that validates the arguments and builds the single
// source file to compile and the data the guest receives. Arguments reach
// the guest only as data (stdin, virtual connections), never as source.
// The directory also holds the Rust workspace of the dependency profile
// every stub compiles against.
package harnesses

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Harness is one way of compiling and driving a stub.
type Harness struct {
	ID          string
	Description string
	// ArgsSchema is the JSON Schema of the args object, for clients.
	ArgsSchema json.RawMessage
	// Example is a complete example request body.
	Example json.RawMessage
	// Prepare validates args and builds what to compile and run.
	Prepare func(stub string, args json.RawMessage) (Prepared, error)
	// Interpret, if set, reads the run's stdout and virtual-socket
	// responses into the harness's structured result.
	Interpret func(stdout []byte, responses [][]byte) (json.RawMessage, error)
}

// Prepared is a harness's plan for one request.
type Prepared struct {
	// Source is the whole main.rs.
	Source []byte
	// Edition is the Rust edition ("" means 2021).
	Edition string
	// StubLine is the line of Source where the stub's first line is, so
	// diagnostics can be reported in the stub's own numbering.
	StubLine int
	// Stdin is what the guest reads on standard input.
	Stdin []byte
	// Connections are virtual-socket connections the host opens.
	Connections [][]byte
	// ResponseComplete tells the host when a connection's response is
	// whole (see runtime.Job.ResponseComplete).
	ResponseComplete func(resp []byte) bool
	// Interpret, if set, replaces the harness's Interpret for this
	// request (when an argument changes what the result holds).
	Interpret func(stdout []byte, responses [][]byte) (json.RawMessage, error)

	// Lines, when set, says where each line of Source came from (index 0
	// is line 1), for harnesses that move or rewrite the stub's lines
	// (hoisting, wrapping, hidden lines); it replaces StubLine.
	Lines []LineOrigin
	// Skip: neither compile nor run (e.g. an example marked ignore);
	// Verdict says why.
	Skip bool
	// CompileOnly: compile, but do not run (e.g. no_run, compile_fail).
	CompileOnly bool
	// Verdict, if set, is the harness's judgement of the whole request
	// from what became of it, reported as the response's result. It is
	// called whether or not anything was compiled or run.
	Verdict func(Outcome) (json.RawMessage, error)
}

// Outcome is what became of a prepared request, for Prepared.Verdict.
type Outcome struct {
	// Skipped: Prepared.Skip was set; nothing else below happened.
	Skipped bool
	// Compiled: a module came out. CompileLimit names the compile limit
	// that was hit, if any; CompileStderr is rustc's rendered output.
	Compiled      bool
	CompileLimit  string
	CompileStderr string
	// Ran: the module was run; ExitCode (nil if it never exited), Trap
	// and RunLimit say how it ended.
	Ran      bool
	ExitCode *int32
	Trap     string
	RunLimit string
}

// StubPosition maps a line and column of Source to the stub's own
// numbering. line is 0 when the position is in the harness's code.
func (p Prepared) StubPosition(line, col int) (int, int) {
	if line < 1 {
		return 0, 0
	}
	if p.Lines == nil {
		first := max(p.StubLine, 1)
		if line < first {
			return 0, 0
		}
		return line - first + 1, col
	}
	if line > len(p.Lines) || p.Lines[line-1].Line == 0 {
		return 0, 0
	}
	o := p.Lines[line-1]
	if o.Shift != 0 && col >= o.From {
		col += o.Shift
	}
	return o.Line, col
}

// renderedLocation and renderedGutter find, in rustc's rendered
// diagnostics, a location (` --> main.rs:12:5`, `::: main.rs:3:1`) and a
// snippet line's number in the gutter (`12 |`, and `12 +`, `12 -`,
// `12 ~` in suggestions).
var (
	renderedLocation = regexp.MustCompile(`(?m)^(\s*(?:-->|:::) )main\.rs:(\d+):(\d+)$`)
	renderedGutter   = regexp.MustCompile(`(?m)^( *)(\d+)( [|+~-](?: |$))`)
)

// RenderedInStub rewrites rustc's rendered diagnostics (compiled from
// Source) to the stub's numbering, as StubPosition does for the
// structured ones. Harness code has no stub line: its locations read
// "main.rs (harness code)" and its gutter numbers are blank. Without
// Lines, stub and Source share their numbering past StubLine and the text
// is returned as it is.
func (p Prepared) RenderedInStub(rendered string) string {
	if p.Lines == nil {
		return rendered
	}
	rendered = renderedLocation.ReplaceAllStringFunc(rendered, func(m string) string {
		sub := renderedLocation.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sub[2])
		col, _ := strconv.Atoi(sub[3])
		if l, c := p.StubPosition(line, col); l > 0 {
			return fmt.Sprintf("%smain.rs:%d:%d", sub[1], l, c)
		}
		return sub[1] + "main.rs (harness code)"
	})
	return renderedGutter.ReplaceAllStringFunc(rendered, func(m string) string {
		sub := renderedGutter.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sub[2])
		width := len(sub[1]) + len(sub[2])
		mapped := ""
		if l, _ := p.StubPosition(line, 1); l > 0 {
			mapped = strconv.Itoa(l)
		}
		// Keep the gutter's width, so the snippet stays aligned.
		return fmt.Sprintf("%*s%s", width, mapped, sub[3])
	})
}

// panicLocation finds the location in a Rust panic message.
var panicLocation = regexp.MustCompile(`panicked at main\.rs:(\d+):(\d+):`)

// PanicsInStub rewrites the locations of panic messages ("panicked at
// main.rs:12:5:") in a run's stderr to the stub's numbering, so a panic
// points at the stub's line. Other output is left alone; without Lines
// nothing changes.
func (p Prepared) PanicsInStub(stderr string) string {
	if p.Lines == nil {
		return stderr
	}
	return panicLocation.ReplaceAllStringFunc(stderr, func(m string) string {
		sub := panicLocation.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sub[1])
		col, _ := strconv.Atoi(sub[2])
		if l, c := p.StubPosition(line, col); l > 0 {
			return fmt.Sprintf("panicked at main.rs:%d:%d:", l, c)
		}
		return "panicked at main.rs (harness code):"
	})
}

// ArgError is a user's mistake in args. Field is a JSON path into args.
type ArgError struct {
	Field   string
	Message string
}

func (e *ArgError) Error() string { return fmt.Sprintf("args.%s: %s", e.Field, e.Message) }

// Registry holds the harnesses by id.
type Registry struct {
	byID map[string]*Harness
}

// NewRegistry returns a registry of the given harnesses.
func NewRegistry(hs ...*Harness) (*Registry, error) {
	r := &Registry{byID: map[string]*Harness{}}
	for _, h := range hs {
		if h.ID == "" || h.Prepare == nil {
			return nil, fmt.Errorf("harness %q is incomplete", h.ID)
		}
		if _, dup := r.byID[h.ID]; dup {
			return nil, fmt.Errorf("harness %q registered twice", h.ID)
		}
		if !json.Valid(h.ArgsSchema) || !json.Valid(h.Example) {
			return nil, fmt.Errorf("harness %q: schema or example is not valid JSON", h.ID)
		}
		r.byID[h.ID] = h
	}
	return r, nil
}

// Default is the registry of every built-in harness.
func Default() *Registry {
	r, err := NewRegistry(Program(), Serve(), Example(), Mock())
	if err != nil {
		panic(err) // the built-in set is static; this is a programming error
	}
	return r
}

// Get returns the harness with the id.
func (r *Registry) Get(id string) (*Harness, bool) {
	h, ok := r.byID[id]
	return h, ok
}

// All returns the harnesses sorted by id.
func (r *Registry) All() []*Harness {
	out := make([]*Harness, 0, len(r.byID))
	for _, h := range r.byID {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IDs lists the harness ids, for error messages.
func (r *Registry) IDs() string {
	var ids []string
	for _, h := range r.All() {
		ids = append(ids, h.ID)
	}
	return strings.Join(ids, ", ")
}

// decodeArgs decodes args strictly into v: unknown fields and wrong types
// are ArgErrors naming the field.
func decodeArgs(args json.RawMessage, v any) error {
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(args)))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			return &ArgError{Field: "", Message: "args must be a JSON object"}
		}
		return &ArgError{Field: field, Message: fmt.Sprintf("must be %s, not %s", typeErr.Type.String(), typeErr.Value)}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &ArgError{Field: strings.Trim(name, `"`), Message: "unknown argument"}
	}
	return &ArgError{Field: "", Message: err.Error()}
}
