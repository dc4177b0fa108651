package rustdoc

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMakeDoctestWrapsAsRustdoc(t *testing.T) {
	cases := []struct {
		name, block, want string
		wrapped, same     bool
	}{
		{"statements are wrapped, hidden lines compiled",
			"# use std::fmt::Write;\nlet mut s = String::new();\nwrite!(s, \"x\").unwrap();\n",
			"#![allow(unused)]\nfn main() {\nuse std::fmt::Write;\nlet mut s = String::new();\nwrite!(s, \"x\").unwrap();\n}\n", true, false},
		{"attributes and crates are hoisted above main",
			"#![allow(dead_code)]\n# #[macro_use] extern crate rocket;\n#[get(\"/\")]\nfn index() {}\n",
			"#![allow(unused)]\n#![allow(dead_code)]\n#[macro_use] extern crate rocket;\nfn main() {\n#[get(\"/\")]\nfn index() {}\n}\n", true, false},
		{"a block with main is not wrapped",
			"# #[macro_use] extern crate rocket;\n# fn main() {}\n#[get(\"/\")] fn index() {}\n",
			"#![allow(unused)]\n#[macro_use] extern crate rocket;\nfn main() {}\n#[get(\"/\")] fn index() {}\n", false, false},
		{"a block ending in (()) returns a Result",
			"let n: u8 = \"1\".parse()?;\n# Ok::<(), std::num::ParseIntError>(())\n",
			"#![allow(unused)]\nfn main() { fn _inner() -> core::result::Result<(), impl core::fmt::Debug> {\nlet n: u8 = \"1\".parse()?;\nOk::<(), std::num::ParseIntError>(())\n} _inner().unwrap() }\n", true, false},
		{"no_std is never wrapped", "#![no_std]\nlet x = 1;\n", "#![allow(unused)]\n#![no_std]\nlet x = 1;\n", false, false},
		{"an unclosed delimiter is compiled unchanged", "# use x;\nfn f() {\n", "use x;\nfn f() {\n", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Doctest(c.block)
			assert.Equal(t, c.want, Join(p.Lines))
			assert.Equal(t, c.wrapped, p.Wrapped)
			assert.Equal(t, c.same, p.Unchanged)
			assertOriginsHold(t, hiddenLines(c.block), p.Lines)
		})
	}
}

// assertOriginsHold checks the line map of a program made from a block
// whose lines are stub: every line that claims to come from the block is
// that line of stub (text and column shift), no line of stub is in the
// program twice, every one that is not blank is in it, and they keep
// their order, except that an inner attribute (a line starting `#![`)
// may be hoisted above lines that came before it.
func assertOriginsHold(t *testing.T, stub, prog []Line) {
	t.Helper()
	checkOrigins(t, stub, prog, false)
}

// checkOrigins is assertOriginsHold; with dropsUnclosed, a line may be
// missing when a later line starts an inner attribute: rustdoc drops an
// attribute that has not closed when the next `#![` begins.
func checkOrigins(t *testing.T, stub, prog []Line, dropsUnclosed bool) {
	t.Helper()
	seen := map[int]bool{}
	last := 0
	for i, l := range prog {
		require.NotContains(t, l.Text, "\n", "program line %d is one line", i+1)
		if l.Block == 0 {
			continue
		}
		require.LessOrEqual(t, l.Block, len(stub), "program line %d", i+1)
		assert.Equal(t, stub[l.Block-1], l, "program line %d", i+1)
		assert.False(t, seen[l.Block], "program line %d: block line %d is in the program once", i+1, l.Block)
		seen[l.Block] = true
		if l.Block < last {
			assert.True(t, strings.HasPrefix(strings.TrimSpace(l.Text), "#!["), "program line %d: block line %d comes after line %d", i+1, l.Block, last)
		}
		last = l.Block
	}
	laterAttr := false // a line after this one starts an inner attribute
	for i := len(stub) - 1; i >= 0; i-- {
		l := stub[i]
		if strings.TrimSpace(l.Text) != "" && !(dropsUnclosed && laterAttr) {
			assert.True(t, seen[i+1], "block line %d (%q) is in the program", i+1, l.Text)
		}
		laterAttr = laterAttr || strings.HasPrefix(strings.TrimSpace(l.Text), "#![")
	}
}

// TestGuideBlocksTransform runs the transformation over every Rust block
// of the Rocket guide chapters in the shared test corpus (skipped where
// the corpus is missing): none may be given up on, and the line map must
// hold for each.
func TestGuideBlocksTransform(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "rocket-guide")
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	// The corpus always sits next to the project root (shared/).
	if len(files) == 0 {
		t.Fatalf("no guide corpus at %s", dir)
	}
	fence := regexp.MustCompile("(?m)^( *)```(rust[^\n]*)\n((?s:.*?))^ *```")
	blocks := 0
	for _, f := range files {
		md, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range fence.FindAllStringSubmatch(string(md), -1) {
			indent, body := m[1], m[3]
			var lines []string
			for _, l := range SplitLines(body) {
				lines = append(lines, strings.TrimPrefix(l, indent))
			}
			block := strings.Join(lines, "\n") + "\n"
			p := Doctest(block)
			assert.False(t, p.Unchanged, "%s: %s", filepath.Base(f), block)
			assertOriginsHold(t, hiddenLines(block), p.Lines)
			blocks++
		}
	}
	assert.Greater(t, blocks, 50)
}
