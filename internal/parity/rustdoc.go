package parity

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ExtractCrate reads every fenced code block of the doc comments (`///`
// and `//!`) of the .rs files under root/src, in path and line order: a
// crate's API documentation, as rustdoc collects its doctests. File is the
// path relative to root ("src/request/mod.rs") and Line the line of the
// opening fence, as libtest names a doctest. Blocks of every language are
// returned; the example harness and rustdoc both say "not Rust" of the
// others.
func ExtractCrate(root string) ([]Block, error) {
	var files []string
	err := filepath.WalkDir(filepath.Join(root, "src"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(p, ".rs") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Block
	for _, f := range files { // WalkDir walks in lexical order
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, f)
		out = append(out, extractDocComments(filepath.ToSlash(rel), string(b))...)
	}
	return out, nil
}

// docLine is one line of a doc comment: its text after the marker and its
// line in the file.
type docLine struct {
	text string
	line int
}

// extractDocComments finds the blocks in the doc comments of one source
// file. Consecutive doc lines of one kind are one comment; rustdoc
// unindents a comment by the smallest indent of its non-blank lines (the
// space after `///`), and so does this.
func extractDocComments(name, src string) []Block {
	var out []Block
	var run []docLine
	kind := ""
	flush := func() {
		out = append(out, fencedBlocks(name, unindent(run))...)
		run, kind = nil, ""
	}
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		t := strings.TrimLeft(sc.Text(), " \t")
		k := ""
		switch {
		case strings.HasPrefix(t, "///") && !strings.HasPrefix(t, "////"):
			k = "///"
		case strings.HasPrefix(t, "//!"):
			k = "//!"
		}
		if k == "" || (kind != "" && k != kind) {
			flush()
		}
		if k != "" {
			kind = k
			run = append(run, docLine{text: strings.TrimPrefix(t, k), line: n})
		}
	}
	flush()
	return out
}

func unindent(lines []docLine) []docLine {
	min := -1
	for _, l := range lines {
		if strings.TrimSpace(l.text) == "" {
			continue
		}
		if ind := len(l.text) - len(strings.TrimLeft(l.text, " \t")); min < 0 || ind < min {
			min = ind
		}
	}
	out := make([]docLine, len(lines))
	for i, l := range lines {
		if len(l.text) >= min && min > 0 {
			l.text = l.text[min:]
		} else if strings.TrimSpace(l.text) == "" {
			l.text = ""
		}
		out[i] = l
	}
	return out
}

// fencedBlocks reads the ``` (or ~~~) fenced blocks of one unindented doc
// comment; a fence's indent is removed from its code, as in Markdown.
func fencedBlocks(name string, lines []docLine) []Block {
	var out []Block
	var cur *Block
	var fence string
	var indent int
	var body []string
	for _, l := range lines {
		trimmed := strings.TrimSpace(l.text)
		switch {
		case cur == nil && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, trimmed[:1]))]
			indent = len(l.text) - len(strings.TrimLeft(l.text, " "))
			cur, body = &Block{File: name, Line: l.line, Attrs: strings.TrimSpace(trimmed[len(fence):])}, nil
		case cur != nil && strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "":
			cur.Code = fencedCode(body, indent)
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body = append(body, l.text)
		}
	}
	return out
}
