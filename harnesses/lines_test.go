package harnesses

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
)

// doctestPlan is the part of the example harness's plan that maps lines.
func doctestPlan(block string) (source string, lines LineMap) {
	src, lines := sourceAndLines(rustdoc.Doctest(block).Lines)
	return string(src), lines
}

func TestStubPositionFollowsMovedLinesAndColumns(t *testing.T) {
	// Line 3 of the block ends up on line 5 of the program, under the
	// hoisted attribute and the generated main.
	block := "# #![allow(dead_code)]\n# use rocket::http::Status;\nlet code: u16 = Status::Ok;\n    # let y: u8 = 300;\n"
	src, prep := doctestPlan(block)
	lines := strings.Split(src, "\n")
	require.Equal(t, "let code: u16 = Status::Ok;", lines[4])
	l, c := prep.StubPosition(5, 17)
	assert.Equal(t, [2]int{3, 17}, [2]int{l, c})
	// The hidden, indented line: `# ` and four spaces were removed.
	require.Equal(t, "let y: u8 = 300;", lines[5])
	l, c = prep.StubPosition(6, 13)
	assert.Equal(t, [2]int{4, 19}, [2]int{l, c})
	l, c = prep.StubPosition(6, 1)
	assert.Equal(t, [2]int{4, 7}, [2]int{l, c}, "the first column of a hidden line")
	l, _ = prep.StubPosition(3, 1)
	assert.Equal(t, 0, l, "the generated fn main is harness code")

	// `##`: columns up to the remaining # stay, later ones move by one.
	src, prep = doctestPlan("let a = 1;\n  ## x\n")
	require.Equal(t, "  # x", strings.Split(src, "\n")[3])
	l, c = prep.StubPosition(4, 3)
	assert.Equal(t, [2]int{2, 3}, [2]int{l, c})
	l, c = prep.StubPosition(4, 4)
	assert.Equal(t, [2]int{2, 5}, [2]int{l, c})
	l, _ = prep.StubPosition(99, 1)
	assert.Equal(t, 0, l)

	// A stub that starts on line 3, unchanged: lines shift, columns stay.
	shifted := LineMap{{}, {}, {Line: 1}, {Line: 2}, {Line: 3}}
	l, c = shifted.StubPosition(5, 7)
	assert.Equal(t, [2]int{3, 7}, [2]int{l, c})
	l, _ = shifted.StubPosition(2, 7)
	assert.Equal(t, 0, l)
	// No map: Source is the stub.
	l, c = LineMap(nil).StubPosition(5, 7)
	assert.Equal(t, [2]int{5, 7}, [2]int{l, c})
	l, _ = LineMap(nil).StubPosition(0, 7)
	assert.Equal(t, 0, l)
}

func TestRenderedDiagnosticsAndPanicsUseStubLines(t *testing.T) {
	_, prep := doctestPlan("# #![allow(dead_code)]\n# use rocket::http::Status;\nlet code: u16 = Status::Ok;\n")
	rendered := "error[E0308]: mismatched types\n --> main.rs:5:17\n  |\n5 | let code: u16 = Status::Ok;\n  |           ---   ^^^^^^^^^^ expected `u16`\n  |\n  ::: main.rs:3:1\n3 | fn main() {\n"
	want := "error[E0308]: mismatched types\n --> main.rs:3:17\n  |\n3 | let code: u16 = Status::Ok;\n  |           ---   ^^^^^^^^^^ expected `u16`\n  |\n  ::: main.rs (harness code)\n  | fn main() {\n"
	assert.Equal(t, want, prep.RenderedInStub(rendered))
	assert.Equal(t, rendered, LineMap(nil).RenderedInStub(rendered), "harnesses without a line map are left alone")

	stderr := "\nthread 'main' (1) panicked at main.rs:5:17:\nboom\nthread 'main' panicked at main.rs:3:1:\n"
	assert.Equal(t, "\nthread 'main' (1) panicked at main.rs:3:17:\nboom\nthread 'main' panicked at main.rs (harness code):\n", prep.PanicsInStub(stderr))
}
