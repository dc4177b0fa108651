package rustdoc

import (
	"strings"
)

// Program is the crate rustdoc would compile for a block.
type Program struct {
	Lines []Line
	// Wrapped: the code was put inside a generated fn main.
	Wrapped bool
	// Unchanged: rustdoc could not make sense of the block (an attribute
	// or a delimiter that never closes) and compiles it as it is.
	Unchanged bool
}

// Doctest is the program rustdoc compiles for a documentation code block
// (its hidden lines compiled, see hiddenLines), as rustdoc's
// DocTestBuilder builds a standalone test of a crate without
// `#![doc(test(attr(...)))]`: `#![allow(unused)]`, then the crate
// attributes, then the `extern crate` lines, then the rest, inside
// `fn main() { ... }` unless it has a main function (or the crate is
// `no_std`). A rest ending in `(())` is taken to return a Result, as
// rustdoc does, and is wrapped in a function whose error main unwraps.
//
// rustdoc would also add `extern crate <the documented crate>;` when the
// block names it; the blocks this service runs document no crate of
// their own (from the 2018 edition on, every prepared crate is in scope
// without it), so that line is not added.
func Doctest(block string) Program {
	return makeDoctest(hiddenLines(block))
}

// HoistCrateItems splits src (plain code, no hidden lines) into what
// must stay at the top of a crate, as rustdoc hoists it for a doctest (the
// leading crate attributes and `extern crate` lines, an outer attribute
// alone on the line before an `extern crate` going with it), and the
// rest, for a harness that places the rest inside a module. When rustdoc
// would compile src unchanged (an attribute that never closes), top is
// empty and rest is every line.
func HoistCrateItems(src string) (top, rest []Line) {
	lines := blockLines(src)
	p, ok := partitionSource(lines, true)
	if !ok {
		return nil, lines
	}
	return p.top(), p.rest
}

// DoctestHarness is the program rustdoc compiles for a test_harness
// block, which it compiles with --test: as Doctest, but never wrapped in
// a main (the test runner is the main).
func DoctestHarness(block string) Program {
	lines := hiddenLines(block)
	p, ok := partitionSource(lines, false)
	if !ok {
		return Program{Lines: lines, Unchanged: true}
	}
	prog := append([]Line{{Text: "#![allow(unused)]"}}, p.top()...)
	return Program{Lines: append(prog, p.rest...)}
}

func makeDoctest(lines []Line) Program {
	p, ok := partitionSource(lines, false)
	if !ok {
		return Program{Lines: lines, Unchanged: true}
	}
	prog := append([]Line{{Text: "#![allow(unused)]"}}, p.top()...)
	hasMain, parsed := hasMainFn(joinTexts(p.crates)+"\n"+joinTexts(p.rest), joinTexts(lines))
	if !parsed {
		return Program{Lines: lines, Unchanged: true}
	}
	if hasMain || strings.Contains(joinTexts(prog), "![no_std]") {
		return Program{Lines: append(prog, p.rest...)}
	}
	if strings.HasSuffix(strings.TrimSpace(joinTexts(p.rest)), "(())") {
		prog = append(prog, Line{Text: "fn main() { fn _inner() -> core::result::Result<(), impl core::fmt::Debug> {"})
		prog = append(prog, p.rest...)
		prog = append(prog, Line{Text: "} _inner().unwrap() }"})
	} else {
		prog = append(prog, Line{Text: "fn main() {"})
		prog = append(prog, p.rest...)
		prog = append(prog, Line{Text: "}"})
	}
	return Program{Lines: prog, Wrapped: true}
}

// hasMainFn decides, as rustdoc does, whether code (the crates and the
// rest of a block) has its own main function. rustdoc parses the code
// item by item with rustc's parser and stops at the first thing that is
// not an item (a `let`, an expression); a `fn main` among the items read
// so far at the top level counts. If it saw a macro invocation on the way
// (an item macro like `println!(...);`, or a statement macro directly in
// a function body) and no main, it falls back to a textual search of the
// whole block (full, the block before partitioning): any line
// containing `fn main` before a `//` counts, even in a string or a block
// comment. parsed is false when the code does not lex (an unclosed
// delimiter, string or comment), for which rustdoc compiles the block
// unchanged.
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
		for _, line := range SplitLines(full) {
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
