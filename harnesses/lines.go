package harnesses

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
)

// LineOrigin says where a line of Plan.Source came from.
type LineOrigin struct {
	// Line is the stub's line (1-based), or 0 for the harness's own code.
	Line int
	// A column at or after From (1-based) on the Source line is Shift
	// characters further right on the stub line: the harness removed
	// that many characters before it (a hidden line's `# `, one `#` of
	// a `##`). Zero Shift: the columns are the same.
	From, Shift int
}

// harnessLines are lines of the harness's own code.
func harnessLines(texts ...string) []rustdoc.Line {
	out := make([]rustdoc.Line, len(texts))
	for i, t := range texts {
		out[i] = rustdoc.Line{Text: t}
	}
	return out
}

// sourceAndLines is the source of a program made of lines, and the line
// map of a plan that compiles it (Plan.Lines): where each of its lines
// came from in the stub.
func sourceAndLines(prog []rustdoc.Line) (source []byte, origins LineMap) {
	origins = make(LineMap, len(prog))
	for i, l := range prog {
		origins[i] = LineOrigin{Line: l.Block, From: l.From, Shift: l.Shift}
	}
	return []byte(rustdoc.Join(prog)), origins
}

// LineMap says where each line of a plan's Source came from (index 0 is
// line 1), for harnesses that move or rewrite the stub's lines (hoisting,
// wrapping, hidden lines). Nil means Source is the stub, line for line.
type LineMap []LineOrigin

// StubPosition maps a line and column of Source to the stub's own
// numbering. line is 0 when the position is in the harness's code.
func (m LineMap) StubPosition(line, col int) (int, int) {
	if line < 1 {
		return 0, 0
	}
	if m == nil {
		return line, col
	}
	if line > len(m) || m[line-1].Line == 0 {
		return 0, 0
	}
	o := m[line-1]
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
	renderedLocation = regexp.MustCompile(`(?m)^(\s*(?:-->|:::) )((?:src/)?main\.rs|src/lib\.rs):(\d+):(\d+)$`)
	renderedGutter   = regexp.MustCompile(`(?m)^( *)(\d+)( [|+~-](?: |$))`)
)

// RenderedInStub rewrites rustc's rendered diagnostics (compiled from
// Source) to the stub's numbering, as StubPosition does for the
// structured ones. Harness code has no stub line: its locations read
// "main.rs (harness code)" and its gutter numbers are blank. A nil map
// returns the text as it is.
func (m LineMap) RenderedInStub(rendered string) string {
	if m == nil {
		return rendered
	}
	rendered = renderedLocation.ReplaceAllStringFunc(rendered, func(s string) string {
		sub := renderedLocation.FindStringSubmatch(s)
		line, _ := strconv.Atoi(sub[3])
		col, _ := strconv.Atoi(sub[4])
		if l, c := m.StubPosition(line, col); l > 0 {
			return fmt.Sprintf("%s%s:%d:%d", sub[1], sub[2], l, c)
		}
		return sub[1] + sub[2] + " (harness code)"
	})
	return renderedGutter.ReplaceAllStringFunc(rendered, func(s string) string {
		sub := renderedGutter.FindStringSubmatch(s)
		line, _ := strconv.Atoi(sub[2])
		width := len(sub[1]) + len(sub[2])
		mapped := ""
		if l, _ := m.StubPosition(line, 1); l > 0 {
			mapped = strconv.Itoa(l)
		}
		// Keep the gutter's width, so the snippet stays aligned.
		return fmt.Sprintf("%*s%s", width, mapped, sub[3])
	})
}

// panicLocation finds the location in a Rust panic message.
var panicLocation = regexp.MustCompile(`panicked at ((?:src/)?main\.rs|src/lib\.rs):(\d+):(\d+):`)

// PanicsInStub rewrites the locations of panic messages ("panicked at
// main.rs:12:5:") in a run's stderr to the stub's numbering, so a panic
// points at the stub's line. Other output is left alone; a nil map
// changes nothing.
func (m LineMap) PanicsInStub(stderr string) string {
	if m == nil {
		return stderr
	}
	return panicLocation.ReplaceAllStringFunc(stderr, func(s string) string {
		sub := panicLocation.FindStringSubmatch(s)
		line, _ := strconv.Atoi(sub[2])
		col, _ := strconv.Atoi(sub[3])
		if l, c := m.StubPosition(line, col); l > 0 {
			return fmt.Sprintf("panicked at %s:%d:%d:", sub[1], l, c)
		}
		return "panicked at " + sub[1] + " (harness code):"
	})
}
