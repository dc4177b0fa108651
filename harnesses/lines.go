package harnesses

import (
	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
)

// LineOrigin says where a line of Prepared.Source came from.
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
// map of a plan that compiles it (Prepared.Lines): where each of its
// lines came from in the stub.
func sourceAndLines(prog []rustdoc.Line) (source []byte, origins []LineOrigin) {
	origins = make([]LineOrigin, len(prog))
	for i, l := range prog {
		origins[i] = LineOrigin{Line: l.Block, From: l.From, Shift: l.Shift}
	}
	return []byte(rustdoc.Join(prog)), origins
}
