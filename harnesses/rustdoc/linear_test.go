package rustdoc

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lexedBy is how many runes f has the lexer read: the work a transform
// does, counted without a clock.
func lexedBy(f func()) int64 {
	before := runesLexed.Load()
	f()
	return runesLexed.Load() - before
}

// maxLexed bounds the runes a transform of src may lex: each line is
// lexed a bounded number of times (an inner attribute's lines once, an
// outer attribute line at most twice, the code after the hoisted lines
// once), whatever src holds.
func maxLexed(src string) int64 { return int64(4*len(src) + 64) }

// The two hostile stubs of the hardening issue: one inner attribute that
// never closes, followed by many short lines (each of which rustdoc adds
// to the attribute and re-reads it), and many outer attributes alone on
// their lines ahead of an `extern crate` (each of which looks past the
// others to find it).
func unclosedInnerAttr(size int) string { return "#![\n" + strings.Repeat("a\n", size/2) }
func outerAttrLines(size int) string    { return strings.Repeat("#[a]\n", size/5) + "extern crate x;\n" }

func TestHostileBlocksTakeLinearWork(t *testing.T) {
	const size = 64 << 10
	var p Program
	work := lexedBy(func() { p = Doctest(unclosedInnerAttr(size)) })
	assert.True(t, p.Unchanged, "an attribute that never closes: the block is compiled unchanged")
	assert.LessOrEqual(t, work, maxLexed(unclosedInnerAttr(size)))
	double := lexedBy(func() { Doctest(unclosedInnerAttr(2 * size)) })
	assert.LessOrEqual(t, float64(double), 2.5*float64(work), "twice the block, about twice the work")

	var top []Line
	work = lexedBy(func() { top, _ = HoistCrateItems(outerAttrLines(size)) })
	require.Len(t, top, size/5+1, "every attribute goes with the extern crate")
	assert.LessOrEqual(t, work, maxLexed(outerAttrLines(size)))
	double = lexedBy(func() { HoistCrateItems(outerAttrLines(2 * size)) })
	assert.LessOrEqual(t, float64(double), 2.5*float64(work), "twice the stub, about twice the work")
}

func TestInnerAttributeEnds(t *testing.T) {
	cases := []struct {
		name, block string
		attrs, lint []string
		ok          bool
	}{
		{"blank lines and comments are not part of it",
			"#![doc = r\"a\n\n// c\nb\"]\nfn f() {}", []string{"", "// c", "#![doc = r\"a", "b\"]"}, nil, true},
		{"it ends at the first line where it closes",
			"#![allow(\nx)]\n)]\n", nil, []string{"#![allow(", "x)]"}, true},
		{"a closing bracket in a string does not end it",
			"#![doc = \"]\n\"]\n", []string{"#![doc = \"]", "\"]"}, nil, true},
		{"internal_features on a later line keeps an allow with the features",
			"#![allow(\ninternal_features)]\n", []string{"#![allow(", "internal_features)]"}, nil, true},
		{"but not in a comment between its lines",
			"#![allow(\n// internal_features\nx)]\n", []string{"// internal_features"}, []string{"#![allow(", "x)]"}, true},
		{"a new #![ drops an unfinished one, as rustdoc does", "#![a\n#![b]\n", []string{"#![b]"}, nil, true},
		{"an extern crate line ends it unfinished", "#![a\nextern crate x;\n]\n", nil, nil, false},
		{"a stray closing delimiter never closes", "#![a)]\n]\n", nil, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, ok := partitionSource(blockLines(c.block), false)
			require.Equal(t, c.ok, ok)
			if ok {
				assert.Equal(t, c.attrs, nilIfEmpty(texts(p.crateAttrs)))
				assert.Equal(t, c.lint, nilIfEmpty(texts(p.maybeCrateAttrs)))
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// FuzzDoctest checks what holds for every block: the transform returns,
// lexes a bounded number of runes per rune of the block, and the program
// keeps the lines of the block once each, where the line map says, in
// order (see checkOrigins).
func FuzzDoctest(f *testing.F) {
	f.Fuzz(func(t *testing.T, block string) {
		var p Program
		work := lexedBy(func() { p = Doctest(block) })
		require.LessOrEqual(t, work, maxLexed(block), "lexed runes")
		checkOrigins(t, hiddenLines(block), p.Lines, true)
		if p.Unchanged {
			assert.Equal(t, hiddenLines(block), p.Lines)
		}
	})
}

// FuzzHoistCrateItems checks the same for the mock harness's hoisting,
// and that it only moves lines up: the rest is the tail of the stub.
func FuzzHoistCrateItems(f *testing.F) {
	f.Fuzz(func(t *testing.T, src string) {
		var top, rest []Line
		work := lexedBy(func() { top, rest = HoistCrateItems(src) })
		require.LessOrEqual(t, work, maxLexed(src), "lexed runes")
		checkOrigins(t, blockLines(src), append(append([]Line{}, top...), rest...), true)
		for _, l := range top {
			if len(rest) > 0 {
				assert.Less(t, l.Block, rest[0].Block, "hoisted lines come from before the rest")
			}
		}
	})
}
