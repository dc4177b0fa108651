package harnesses

// This file turns a documentation code block into the program rustdoc
// would compile for it (`cargo test --doc`), keeping track of where every
// line came from so diagnostics can be reported in the block's own
// numbering. It follows rustdoc's src/librustdoc (html/markdown.rs:
// map_line and LangString::parse; doctest/make.rs: partition_source,
// the main-function check and the wrapping) behaviour for behaviour, but
// decides "has a top-level fn main" with a small Rust lexer instead of
// rustc's parser: see hasMainFn for where the two can differ.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// srcLine is one line of a generated program and where it came from.
type srcLine struct {
	text   string
	origin LineOrigin
}

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

func harnessLine(text string) srcLine { return srcLine{text: text} }

// rustLines splits s the way Rust's str::lines does: on "\n", dropping a
// "\r" before it, with no empty last line after a final newline.
func rustLines(s string) []string {
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

// doctestLines applies rustdoc's hidden-line rules to each line of a code
// block: `# text` (after any indentation) is compiled as `text` but hidden
// from readers, a lone `#` is an empty hidden line, and a line whose first
// non-blank characters are `##` is shown with one `#` fewer. Everything is
// compiled; hiding only concerns the rendered page.
func doctestLines(block string) []srcLine {
	var out []srcLine
	for i, line := range rustLines(block) {
		origin := LineOrigin{Line: i + 1}
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "##"):
			at := strings.Index(line, "##")
			origin.From, origin.Shift = utf8.RuneCountInString(line[:at])+2, 1
			line = line[:at] + line[at+1:]
		case strings.HasPrefix(trimmed, "# "):
			lead := strings.Index(line, "#")
			origin.From, origin.Shift = 1, utf8.RuneCountInString(line[:lead])+2
			line = trimmed[2:]
		case trimmed == "#":
			line = ""
		}
		out = append(out, srcLine{text: line, origin: origin})
	}
	return out
}

// partition is a code block split as rustdoc's partition_source splits it:
// the leading crate attributes and `extern crate` lines go to the top of
// the crate, the rest may be wrapped in `fn main`.
type partition struct {
	crateAttrs, maybeCrateAttrs, crates, rest []srcLine
}

// partitionSource splits lines the way rustdoc does. Only the block's
// leading lines are looked at: blank lines and `//` comments (not `///`)
// stay in whichever part is being filled; an inner attribute (`#![...]`,
// possibly over several lines) is a crate attribute; lines starting with
// `extern crate` or `#[macro_use] extern crate` are crates; the first
// other line starts the rest. ok is false when an attribute never closes,
// which rustdoc answers by compiling the block unchanged.
//
// hoistAttrLines extends this for the mock harness: an outer attribute
// alone on its line (`#[macro_use]`) directly followed by an `extern
// crate` line travels with it, a common way to write that item.
func partitionSource(lines []srcLine, hoistAttrLines bool) (p partition, ok bool) {
	const (
		attrs = iota
		crates
		other
	)
	state := attrs
	var pending []srcLine // an inner attribute that has not closed yet
	var heldAttrs []srcLine
	isCrate := func(t string) bool {
		return strings.HasPrefix(t, "extern crate") || strings.HasPrefix(t, "#[macro_use] extern crate")
	}
	isBlankOrComment := func(t string) bool {
		return t == "" || (strings.HasPrefix(t, "//") && !strings.HasPrefix(t, "///"))
	}
	addPending := func() {
		if kind, complete := innerAttrKind(joinLines(pending)); complete {
			if kind == "maybe" {
				p.maybeCrateAttrs = append(p.maybeCrateAttrs, pending...)
			} else {
				p.crateAttrs = append(p.crateAttrs, pending...)
			}
			pending = nil
		}
	}
	for idx, l := range lines {
		t := strings.TrimSpace(l.text)
		if hoistAttrLines && state != other && pending == nil && isOuterAttrLine(t) && nextIsCrate(lines[idx+1:], isCrate) {
			heldAttrs = append(heldAttrs, l)
			continue
		}
		switch state {
		case attrs:
			switch {
			case strings.HasPrefix(t, "#!["):
				// rustdoc starts a new pending attribute here, dropping
				// an unfinished one.
				pending = []srcLine{l}
				addPending()
				continue
			case isBlankOrComment(t):
			case isCrate(t):
				state = crates
			case pending != nil:
				pending = append(pending, l)
				addPending()
				continue
			default:
				state = other
			}
		case crates:
			if !isCrate(t) && !isBlankOrComment(t) {
				state = other
			}
		}
		switch state {
		case attrs:
			p.crateAttrs = append(p.crateAttrs, l)
		case crates:
			p.crates = append(p.crates, heldAttrs...)
			heldAttrs = nil
			p.crates = append(p.crates, l)
		default:
			p.rest = append(p.rest, l)
		}
	}
	if pending != nil {
		return partition{}, false
	}
	// rustdoc trims the rest; dropping the blank lines around it does the
	// same without moving any column.
	for len(p.rest) > 0 && strings.TrimSpace(p.rest[0].text) == "" {
		p.rest = p.rest[1:]
	}
	for len(p.rest) > 0 && strings.TrimSpace(p.rest[len(p.rest)-1].text) == "" {
		p.rest = p.rest[:len(p.rest)-1]
	}
	return p, true
}

func isOuterAttrLine(t string) bool {
	if !strings.HasPrefix(t, "#[") {
		return false
	}
	toks, ok := lexRust(t)
	return ok && len(toks) > 2 && toks[0].is("#") && toks[1].isOpen("[") && toks[1].match == len(toks)-1
}

func nextIsCrate(rest []srcLine, isCrate func(string) bool) bool {
	for _, l := range rest {
		t := strings.TrimSpace(l.text)
		if isOuterAttrLine(t) {
			continue
		}
		return isCrate(t)
	}
	return false
}

// innerAttrKind reports whether src is one complete inner attribute, and
// whether it is a lint level (allow, warn, deny, forbid: "maybe", which
// rustdoc also puts at the crate top for a standalone test) or another
// crate attribute ("crate").
func innerAttrKind(src string) (kind string, complete bool) {
	toks, ok := lexRust(src)
	if !ok || len(toks) < 3 || !toks[0].is("#") || !toks[1].is("!") || !toks[2].isOpen("[") {
		return "", false
	}
	if toks[2].match > 3 && toks[3].kind == tkIdent {
		switch toks[3].text {
		case "allow":
			if strings.Contains(src, "internal_features") {
				return "crate", true
			}
			return "maybe", true
		case "warn", "deny", "forbid":
			return "maybe", true
		}
	}
	return "crate", true
}

func joinLines(ls []srcLine) string {
	texts := make([]string, len(ls))
	for i, l := range ls {
		texts[i] = l.text
	}
	return strings.Join(texts, "\n")
}

// doctestProgram is the crate rustdoc would compile for a block.
type doctestProgram struct {
	lines []srcLine
	// wrapped: the code was put inside a generated fn main.
	wrapped bool
	// unchanged: rustdoc could not make sense of the block (an attribute
	// or a delimiter that never closes) and compiles it as it is.
	unchanged bool
}

func (d doctestProgram) source() string { return joinLines(d.lines) + "\n" }

func (d doctestProgram) origins() []LineOrigin {
	out := make([]LineOrigin, len(d.lines))
	for i, l := range d.lines {
		out[i] = l.origin
	}
	return out
}

// makeDoctest builds the program for a block's lines (after
// doctestLines), as rustdoc's DocTestBuilder does for a standalone test
// of a crate without `#![doc(test(attr(...)))]`: `#![allow(unused)]`,
// then the crate attributes, then the `extern crate` lines, then the rest,
// inside `fn main() { ... }` unless it has a main function (or the crate
// is `no_std`). A rest ending in `(())` is taken to return a Result, as
// rustdoc does, and is wrapped in a function whose error main unwraps.
//
// rustdoc would also add `extern crate <the documented crate>;` when the
// block names it; the blocks this service runs document no crate of
// their own (from the 2018 edition on, every prepared crate is in scope
// without it), so that line is not added.
func makeDoctest(lines []srcLine) doctestProgram {
	p, ok := partitionSource(lines, false)
	if !ok {
		return doctestProgram{lines: lines, unchanged: true}
	}
	var prog []srcLine
	prog = append(prog, harnessLine("#![allow(unused)]"))
	prog = append(prog, p.crateAttrs...)
	prog = append(prog, p.maybeCrateAttrs...)
	prog = append(prog, p.crates...)
	hasMain, parsed := hasMainFn(joinLines(p.crates)+"\n"+joinLines(p.rest), joinLines(lines))
	if !parsed {
		return doctestProgram{lines: lines, unchanged: true}
	}
	if hasMain || strings.Contains(joinLines(prog), "![no_std]") {
		return doctestProgram{lines: append(prog, p.rest...)}
	}
	if strings.HasSuffix(strings.TrimSpace(joinLines(p.rest)), "(())") {
		prog = append(prog, harnessLine("fn main() { fn _inner() -> core::result::Result<(), impl core::fmt::Debug> {"))
		prog = append(prog, p.rest...)
		prog = append(prog, harnessLine("} _inner().unwrap() }"))
	} else {
		prog = append(prog, harnessLine("fn main() {"))
		prog = append(prog, p.rest...)
		prog = append(prog, harnessLine("}"))
	}
	return doctestProgram{lines: prog, wrapped: true}
}

// hasMainFn decides, as rustdoc does, whether code (the crates and the
// rest of a block) has its own main function. rustdoc parses the code
// item by item with rustc's parser and stops at the first thing that is
// not an item (a `let`, an expression); a `fn main` among the items read
// so far at the top level counts. If it saw a macro invocation on the way
// (an item macro like `println!(...);`, or a statement macro directly in
// a function body) and no main, it falls back to a textual search of the
// whole block (full, the block before partitioning): any line containing
// `fn main` before a `//` counts, even in a string or a block comment.
// parsed is false when the code does not lex (an unclosed delimiter,
// string or comment), for which rustdoc compiles the block unchanged.
//
// The item reader here is a lexer plus a small recogniser of item
// shapes, not rustc's parser: blocks rustc rejects part-way (a syntax
// error inside an item) may be read further here, which only matters for
// code that does not compile anyway.
func hasMainFn(code, full string) (hasMain, parsed bool) {
	toks, ok := lexRust(code)
	if !ok {
		return false, false
	}
	s := &itemScanner{toks: toks}
	for i := 0; i < len(toks); {
		if toks[i].is(";") { // rustc skips a stray semicolon between items
			i++
			continue
		}
		next, ok := s.item(i, true)
		if !ok || s.hasMain {
			break
		}
		i = next
	}
	if s.hasMain {
		return true, true
	}
	if s.foundMacro {
		for _, line := range rustLines(full) {
			if at := strings.Index(line, "//"); at >= 0 {
				line = line[:at]
			}
			if strings.Contains(line, "fn main") {
				return true, true
			}
		}
	}
	return false, true
}

type itemScanner struct {
	toks       []token
	hasMain    bool
	foundMacro bool
}

// item reads one item starting at i and returns the index after it; ok is
// false when what starts at i is not an item.
func (s *itemScanner) item(i int, topLevel bool) (next int, ok bool) {
	toks, n := s.toks, len(s.toks)
	at := func(j int) token {
		if j < n {
			return toks[j]
		}
		return token{}
	}
	// Outer attributes.
	for at(i).is("#") && at(i+1).isOpen("[") {
		i = toks[i+1].match + 1
	}
	if i >= n {
		return i, false
	}
	// Visibility.
	if at(i).isIdent("pub") {
		i++
		if at(i).isOpen("(") {
			i = toks[i].match + 1
		}
	}
	// A macro invocation (`path!(...);`, `path! { ... }`) or definition
	// (`macro_rules! name { ... }`).
	if j, path, isPath := s.path(i); isPath && at(j).is("!") {
		if path == "macro_rules" && at(j+1).kind == tkIdent && at(j+2).kind == tkOpen {
			end := toks[j+2].match + 1
			if toks[j+2].text != "{" {
				if !at(end).is(";") {
					return i, false
				}
				end++
			}
			return end, true
		}
		if at(j+1).kind != tkOpen {
			return i, false
		}
		end := toks[j+1].match + 1
		if toks[j+1].text != "{" {
			if !at(end).is(";") {
				return i, false
			}
			end++
		}
		s.foundMacro = true
		return end, true
	}
	// Qualifiers before fn, impl, trait, extern blocks and crates.
	sawExtern := false
	for {
		t := at(i)
		if t.isIdent("const") && at(i+1).kind == tkIdent && !isQualifier(at(i+1).text) && !at(i+1).isIdent("fn") {
			break // a const item: `const NAME: T = ...;`
		}
		if t.isIdent("async") && !at(i+1).isIdent("fn") && !at(i+1).isIdent("unsafe") {
			return i, false // an async block
		}
		if !isQualifier(t.text) || t.kind != tkIdent {
			break
		}
		i++
		if t.text == "extern" {
			sawExtern = true
			if at(i).kind == tkLiteral {
				i++ // the ABI string
			}
		}
	}
	t := at(i)
	switch {
	case t.isIdent("fn"):
		name := at(i + 1)
		if name.kind != tkIdent {
			return i, false
		}
		for j := i + 2; j < n; j++ {
			switch {
			case toks[j].is(";"):
				s.hasMain = s.hasMain || topLevel && name.text == "main"
				return j + 1, true
			case toks[j].isOpen("{"):
				s.hasMain = s.hasMain || topLevel && name.text == "main"
				s.body(j)
				return toks[j].match + 1, true
			case toks[j].kind == tkOpen:
				j = toks[j].match
			}
		}
		return i, false
	case t.isIdent("use"), t.isIdent("static"), t.isIdent("type"), t.isIdent("const"), t.isIdent("crate"):
		return s.untilSemicolon(i+1, false)
	case t.isIdent("struct"), t.isIdent("enum"), t.isIdent("trait"), t.isIdent("impl"), t.isIdent("mod"), t.isIdent("macro"),
		t.isIdent("union") && at(i+1).kind == tkIdent, t.isIdent("auto") && at(i+1).isIdent("trait"):
		return s.untilSemicolon(i+1, true)
	case t.isOpen("{") && sawExtern: // extern "C" { ... }
		return t.match + 1, true
	}
	return i, false
}

func isQualifier(w string) bool {
	switch w {
	case "const", "async", "unsafe", "safe", "default", "extern":
		return true
	}
	return false
}

// path reads `a::b::c` (or `::a`) at i and returns the index after it and
// its last segment.
func (s *itemScanner) path(i int) (next int, last string, ok bool) {
	n := len(s.toks)
	if i < n && s.toks[i].is("::") {
		i++
	}
	for i < n && s.toks[i].kind == tkIdent {
		last, ok = s.toks[i].text, true
		i++
		if i+1 < n && s.toks[i].is("::") && s.toks[i+1].kind == tkIdent {
			i++
			continue
		}
		return i, last, true
	}
	return i, last, false
}

// untilSemicolon ends an item at the next `;` at this level or, when
// braced, after the first `{ ... }` group.
func (s *itemScanner) untilSemicolon(i int, braced bool) (int, bool) {
	for ; i < len(s.toks); i++ {
		t := s.toks[i]
		switch {
		case t.is(";"):
			return i + 1, true
		case t.isOpen("{") && braced:
			return t.match + 1, true
		case t.kind == tkOpen:
			i = t.match
		}
	}
	return i, false
}

// body looks at the statements of the function body opening at open, as
// rustdoc's check_item does: a statement that is a macro invocation is a
// macro, a nested fn is read recursively (a main in it does not count).
func (s *itemScanner) body(open int) {
	end := s.toks[open].match
	start := true
	for i := open + 1; i < end; {
		t := s.toks[i]
		if start {
			j := i
			for j < end && s.toks[j].is("#") && s.toks[j+1].isOpen("[") {
				j = s.toks[j+1].match + 1
			}
			if k, name, isPath := s.path(j); isPath && name != "macro_rules" && k+1 < end && s.toks[k].is("!") && s.toks[k+1].kind == tkOpen {
				s.foundMacro = true
			}
			if s.startsFn(j) {
				if next, ok := s.item(j, false); ok {
					i = next
					continue
				}
			}
		}
		switch {
		case t.kind == tkOpen:
			i = t.match + 1
			start = t.text == "{"
		case t.is(";"):
			i++
			start = true
		default:
			i++
			start = false
		}
	}
}

func (s *itemScanner) startsFn(i int) bool {
	for ; i < len(s.toks); i++ {
		t := s.toks[i]
		switch {
		case t.isIdent("fn"):
			return true
		case t.kind == tkIdent && (isQualifier(t.text) || t.text == "pub"):
		case t.kind == tkLiteral || t.kind == tkOpen && t.text == "(":
			// an ABI string, pub(crate)
			if t.kind == tkOpen {
				i = t.match
			}
		default:
			return false
		}
	}
	return false
}

// A minimal Rust lexer: enough to skip comments and literals and to match
// delimiters.

type tokKind int

const (
	tkNone tokKind = iota
	tkIdent
	tkLifetime
	tkLiteral
	tkPunct
	tkOpen
	tkClose
)

type token struct {
	kind tokKind
	text string
	// match is, for an opening delimiter, the index of its closing one.
	match int
}

func (t token) is(p string) bool {
	return (t.kind == tkPunct || t.kind == tkOpen || t.kind == tkClose) && t.text == p
}
func (t token) isIdent(w string) bool    { return t.kind == tkIdent && t.text == w }
func (t token) isOpen(delim string) bool { return t.kind == tkOpen && t.text == delim }

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentChar(r rune) bool  { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// lexRust tokenizes src. ok is false for an unterminated comment, string
// or character literal, or unbalanced delimiters.
func lexRust(src string) (toks []token, ok bool) {
	rs := []rune(src)
	n := len(rs)
	var stack []int
	peek := func(i int) rune {
		if i < n {
			return rs[i]
		}
		return 0
	}
	// quoted skips a "..." (or '...') literal whose opening quote is at i.
	quoted := func(i int, q rune) (int, bool) {
		for i++; i < n; i++ {
			switch rs[i] {
			case '\\':
				i++
			case q:
				return i + 1, true
			}
		}
		return i, false
	}
	// raw skips r#"..."# with the `r` at i.
	raw := func(i int) (int, bool) {
		i++
		hashes := 0
		for peek(i) == '#' {
			hashes++
			i++
		}
		if peek(i) != '"' {
			return i, false
		}
		for i++; i < n; i++ {
			if rs[i] != '"' {
				continue
			}
			j := i + 1
			for j < n && j-i-1 < hashes && rs[j] == '#' {
				j++
			}
			if j-i-1 == hashes {
				return j, true
			}
		}
		return i, false
	}
	for i := 0; i < n; {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '/' && peek(i+1) == '/':
			for i < n && rs[i] != '\n' {
				i++
			}
		case r == '/' && peek(i+1) == '*':
			depth := 0
			for {
				if i >= n {
					return nil, false
				}
				if rs[i] == '/' && peek(i+1) == '*' {
					depth++
					i += 2
				} else if rs[i] == '*' && peek(i+1) == '/' {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		case r == '"':
			end, ok := quoted(i, '"')
			if !ok {
				return nil, false
			}
			toks = append(toks, token{kind: tkLiteral, text: string(rs[i:end])})
			i = end
		case r == '\'':
			// A character literal ('a', '\n', '\u{1F600}') or a lifetime.
			if peek(i+1) == '\\' || (peek(i+2) == '\'' && peek(i+1) != 0) {
				end, ok := quoted(i, '\'')
				if !ok {
					return nil, false
				}
				toks = append(toks, token{kind: tkLiteral, text: string(rs[i:end])})
				i = end
				continue
			}
			if !isIdentStart(peek(i + 1)) {
				return nil, false
			}
			j := i + 1
			for j < n && isIdentChar(rs[j]) {
				j++
			}
			toks = append(toks, token{kind: tkLifetime, text: string(rs[i:j])})
			i = j
		case isIdentStart(r):
			j := i
			for j < n && isIdentChar(rs[j]) {
				j++
			}
			word := string(rs[i:j])
			switch {
			case (word == "r" || word == "br" || word == "cr") && (peek(j) == '"' || peek(j) == '#' && (peek(j+1) == '"' || peek(j+1) == '#')):
				end, ok := raw(j - 1)
				if !ok {
					return nil, false
				}
				toks = append(toks, token{kind: tkLiteral, text: string(rs[i:end])})
				i = end
			case (word == "b" || word == "c") && peek(j) == '"', word == "b" && peek(j) == '\'':
				end, ok := quoted(j, peek(j))
				if !ok {
					return nil, false
				}
				toks = append(toks, token{kind: tkLiteral, text: string(rs[i:end])})
				i = end
			case word == "r" && peek(j) == '#' && isIdentStart(peek(j+1)):
				k := j + 1
				for k < n && isIdentChar(rs[k]) {
					k++
				}
				toks = append(toks, token{kind: tkIdent, text: string(rs[j+1 : k])}) // r#ident is ident
				i = k
			default:
				toks = append(toks, token{kind: tkIdent, text: word})
				i = j
			}
		case unicode.IsDigit(r):
			j := i
			for j < n && (isIdentChar(rs[j]) || rs[j] == '.' && unicode.IsDigit(peek(j+1))) {
				j++
			}
			toks = append(toks, token{kind: tkLiteral, text: string(rs[i:j])})
			i = j
		case r == '(' || r == '[' || r == '{':
			stack = append(stack, len(toks))
			toks = append(toks, token{kind: tkOpen, text: string(r)})
			i++
		case r == ')' || r == ']' || r == '}':
			if len(stack) == 0 {
				return nil, false
			}
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if want := map[string]rune{"(": ')', "[": ']', "{": '}'}[toks[open].text]; want != r {
				return nil, false
			}
			toks[open].match = len(toks)
			toks = append(toks, token{kind: tkClose, text: string(r)})
			i++
		case r == ':' && peek(i+1) == ':':
			toks = append(toks, token{kind: tkPunct, text: "::"})
			i += 2
		default:
			toks = append(toks, token{kind: tkPunct, text: string(r)})
			i++
		}
	}
	return toks, len(stack) == 0
}

// fenceAttrs is a code block's info string as rustdoc reads it
// (LangString::parse).
type fenceAttrs struct {
	// rust: the block is Rust, so a doctest. Unknown tags make a block
	// "not Rust" (another language, e.g. `text`) unless `rust` or a
	// doctest attribute came before them.
	rust bool
	// ignoreAll: `ignore`; ignoreTargets: `ignore-<target>` tags, which
	// replace a plain `ignore`.
	ignoreAll     bool
	ignoreTargets []string
	shouldPanic   bool
	noRun         bool
	compileFail   bool
	testHarness   bool
	// errorCodes are `E0308`-style tags: a compile_fail block passes only
	// if the compiler reports each of them.
	errorCodes []string
	// edition from `edition2018` etc.; "" for none or an unknown one.
	edition string
	// unknown holds the tags rustdoc does not know.
	unknown []string
	// syntaxError, when set, is why the info string could not be read;
	// rustdoc then treats the block as not Rust.
	syntaxError string
}

// ignoredOn says whether the block is ignored when testing for target.
func (a fenceAttrs) ignoredOn(target string) bool {
	if len(a.ignoreTargets) > 0 {
		for _, t := range a.ignoreTargets {
			if strings.Contains(target, t) {
				return true
			}
		}
		return false
	}
	return a.ignoreAll
}

// parseFenceAttrs reads an info string such as "rust,no_run",
// "should_panic edition2018" or "text". As in rustdoc: tokens are
// separated by spaces, tabs or commas; `{...}` blocks (classes, key=value)
// and `(...)` comments carry no test meaning; `compile_fail` implies
// `no_run`; an `editionNNNN` that is not an edition is dropped; `rust2021`
// and the like are not attributes (rustdoc only warns). Error codes are
// honoured as a nightly rustdoc honours them.
func parseFenceAttrs(info string) fenceAttrs {
	a := fenceAttrs{rust: true}
	tokens, err := fenceTokens(info)
	seenRust, seenOther := false, false
	for _, t := range tokens {
		switch {
		case t == "should_panic":
			a.shouldPanic, seenRust = true, !seenOther
		case t == "no_run":
			a.noRun, seenRust = true, !seenOther
		case t == "ignore":
			a.ignoreAll, seenRust = true, !seenOther
		case strings.HasPrefix(t, "ignore-"):
			a.ignoreTargets, seenRust = append(a.ignoreTargets, strings.TrimPrefix(t, "ignore-")), !seenOther
		case t == "rust":
			seenRust = true
		case t == "test_harness":
			a.testHarness, seenRust = true, !seenOther || seenRust
		case t == "compile_fail":
			a.compileFail, a.noRun, seenRust = true, true, !seenOther || seenRust
		case t == "standalone_crate":
			seenRust = !seenOther || seenRust
		case strings.HasPrefix(t, "edition"):
			a.edition = ""
			if editions[strings.TrimPrefix(t, "edition")] {
				a.edition = strings.TrimPrefix(t, "edition")
			}
		case strings.HasPrefix(t, "rust") && editions[strings.TrimPrefix(t, "rust")]:
		case isErrorCode(t):
			a.errorCodes, seenRust = append(a.errorCodes, t), !seenOther || seenRust
		case t == "custom":
			a.rust = false
		default:
			seenOther = true
			a.unknown = append(a.unknown, t)
		}
	}
	if err != "" {
		a.syntaxError = err
	}
	a.rust = a.rust && (!seenOther || seenRust) && err == ""
	return a
}

func isErrorCode(t string) bool {
	if len(t) != 5 || t[0] != 'E' {
		return false
	}
	for _, c := range t[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isFenceSeparator(c rune) bool { return c == ' ' || c == ',' || c == '\t' }
func isFenceLeading(c rune) bool {
	return c == '_' || c == '-' || c == ':' || c < utf8.RuneSelf && (unicode.IsLetter(c) || unicode.IsDigit(c))
}
func isFenceBareword(c rune) bool {
	return isFenceLeading(c) || strings.ContainsRune(".!#$%&*+/;<>?@^|~", c)
}

// fenceTokens splits an info string into its language tokens, after
// rustdoc's TagIterator. On a syntax error it returns the tokens read so
// far and what was wrong.
func fenceTokens(info string) (tokens []string, syntaxError string) {
	rs := []rune(info)
	n := len(rs)
	i := 0
	for {
		for i < n && isFenceSeparator(rs[i]) {
			i++
		}
		if i >= n {
			return tokens, ""
		}
		switch c := rs[i]; {
		case c == '{':
			end := i + 1
			for end < n && rs[end] != '}' {
				end++
			}
			if end >= n {
				return tokens, "unclosed attribute block (`{}`)"
			}
			if msg := checkAttrBlock(string(rs[i+1 : end])); msg != "" {
				return tokens, msg
			}
			i = end + 1
		case c == '(':
			end := i + 1
			for end < n && rs[end] != ')' {
				end++
			}
			if end >= n {
				return tokens, "unclosed comment: missing `)`"
			}
			i = end + 1
		case c == '"':
			end := i + 1
			for end < n && rs[end] != '"' {
				end++
			}
			if end >= n {
				return tokens, "unclosed quote string"
			}
			if end+1 < n && !isFenceSeparator(rs[end+1]) && rs[end+1] != '{' && rs[end+1] != '(' {
				return tokens, fmt.Sprintf("unexpected `%c` after a quoted string", rs[end+1])
			}
			tokens = append(tokens, string(rs[i+1:end]))
			i = end + 1
		case isFenceLeading(c):
			end := i
			for end < n && isFenceBareword(rs[end]) {
				end++
			}
			switch {
			case end >= n || isFenceSeparator(rs[end]) || rs[end] == '(':
				tokens = append(tokens, string(rs[i:end]))
			case rs[end] == '{':
				// rustdoc drops a token run straight into an attribute
				// block; the block is read next.
			default:
				return tokens, fmt.Sprintf("unexpected character `%c`", rs[end])
			}
			i = end
		default:
			return tokens, fmt.Sprintf("unexpected character `%c`", c)
		}
	}
}

// checkAttrBlock checks the inside of a `{...}` block: `.class` and
// `key=value` entries.
func checkAttrBlock(s string) string {
	for _, f := range strings.FieldsFunc(s, isFenceSeparator) {
		if strings.HasPrefix(f, ".") && len(f) > 1 {
			continue
		}
		if k, v, ok := strings.Cut(f, "="); ok && k != "" && v != "" {
			continue
		}
		return fmt.Sprintf("unexpected `%s` in an attribute block", f)
	}
	return ""
}
