// Package rustdoc owns turning a documentation code block into what
// rustdoc compiles for it (`cargo test --doc`): the hidden-line rules, the
// fence attributes of the block's info string, the crate attributes and
// `extern crate` lines hoisted to the top of the crate, and the generated
// `fn main` around the rest. It follows rustdoc's src/librustdoc
// (html/markdown.rs: map_line and LangString::parse; doctest/make.rs:
// partition_source, the main-function check and the wrapping) behaviour
// for behaviour, but decides "has a top-level fn main" with a small Rust
// lexer instead of rustc's parser: see hasMainFn for where the two can
// differ.
//
// Every line it returns says which line of the block it came from, as
// plain data; the harnesses turn that into their line map. Its work is
// linear in the block's size: it lexes each line a bounded number of
// times, whatever the block holds.
package rustdoc

import (
	"strings"
	"unicode/utf8"
)

// Line is one line of a program made from a block, and where it came
// from.
type Line struct {
	Text string
	// Block is the block's line it came from (1-based), or 0 for code
	// that was added (a generated fn main, a harness's own code).
	Block int
	// A column at or after From (1-based) on Text is Shift characters
	// further right on the block's line: that many characters were
	// removed before it (a hidden line's `# `, one `#` of a `##`). Zero
	// Shift: the columns are the same.
	From, Shift int
}

// SplitLines splits s the way Rust's str::lines does: on "\n", dropping a
// "\r" before it, with no empty last line after a final newline.
func SplitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// blockLines numbers the lines of src as they are, for code that is not
// a doctest (no hidden lines).
func blockLines(src string) []Line {
	texts := SplitLines(src)
	out := make([]Line, len(texts))
	for i, t := range texts {
		out[i] = Line{Text: t, Block: i + 1}
	}
	return out
}

// Join is the source text of lines, one per line, with a final newline.
func Join(lines []Line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// MapLine is rustdoc's hidden-line rule for one line of a code block
// (map_line): `# text` (after any indentation) is compiled as `text` but
// hidden from readers, a lone `#` is an empty hidden line, and a line
// whose first non-blank characters are `##` is shown with one `#` fewer.
// The line shown and compiled is line with the n bytes at cut removed.
// Everything is compiled; hiding only concerns the rendered page.
func MapLine(line string) (hidden bool, cut, n int) {
	trimmed := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(trimmed, "##"):
		return false, strings.Index(line, "##"), 1
	case strings.HasPrefix(trimmed, "# "):
		// Everything up to the text: the indentation, "# ", and the
		// blanks TrimSpace took from the line's end stay (they are after
		// the cut).
		return true, 0, strings.Index(line, "#") + 2
	case trimmed == "#":
		return true, 0, len(line)
	}
	return false, 0, 0
}

// hiddenLines applies MapLine to each line of a code block.
func hiddenLines(block string) []Line {
	texts := SplitLines(block)
	out := make([]Line, 0, len(texts))
	for i, line := range texts {
		l := Line{Block: i + 1}
		trimmed := strings.TrimSpace(line)
		switch _, cut, n := MapLine(line); {
		case strings.HasPrefix(trimmed, "##"):
			l.From, l.Shift = utf8.RuneCountInString(line[:cut])+2, 1
			line = line[:cut] + line[cut+n:]
		case strings.HasPrefix(trimmed, "# "):
			l.From, l.Shift = 1, utf8.RuneCountInString(line[:n])
			line = trimmed[2:]
		case trimmed == "#":
			line = ""
		}
		l.Text = line
		out = append(out, l)
	}
	return out
}

// joinTexts is the texts of lines joined by newlines, as rustdoc joins
// the parts of a block it looks at as one.
func joinTexts(ls []Line) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.Text)
	}
	return b.String()
}
