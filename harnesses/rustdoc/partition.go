package rustdoc

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// partition is a code block split as rustdoc's partition_source splits it:
// the leading crate attributes and `extern crate` lines go to the top of
// the crate, the rest may be wrapped in `fn main`.
type partition struct {
	crateAttrs, maybeCrateAttrs, crates, rest []Line
}

// top is what goes to the top of the crate, in rustdoc's order: the crate
// attributes, the lint levels, the `extern crate` lines.
func (p partition) top() []Line {
	top := make([]Line, 0, len(p.crateAttrs)+len(p.maybeCrateAttrs)+len(p.crates))
	top = append(top, p.crateAttrs...)
	top = append(top, p.maybeCrateAttrs...)
	return append(top, p.crates...)
}

func isCrateLine(t string) bool {
	return strings.HasPrefix(t, "extern crate") || strings.HasPrefix(t, "#[macro_use] extern crate")
}

func isBlankOrComment(t string) bool {
	return t == "" || (strings.HasPrefix(t, "//") && !strings.HasPrefix(t, "///"))
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
//
// rustdoc re-reads the attribute so far each time it adds a line to it;
// here where each attribute ends is found by lexing it once (innerAttrEnd)
// and each outer attribute line is lexed at most twice (attrRun), so the
// work is linear in the block's size.
func partitionSource(lines []Line, hoistAttrLines bool) (p partition, ok bool) {
	const (
		attrs = iota
		crates
		other
	)
	state := attrs
	var pending []Line // an inner attribute that has not closed yet
	pendingEnd, pendingLint := -1, false
	addPending := func(idx int, l Line) {
		pending = append(pending, l)
		if idx != pendingEnd {
			return
		}
		if pendingLint {
			p.maybeCrateAttrs = append(p.maybeCrateAttrs, pending...)
		} else {
			p.crateAttrs = append(p.crateAttrs, pending...)
		}
		pending = nil
	}
	var heldAttrs []Line
	var run attrRun
	for idx, l := range lines {
		t := strings.TrimSpace(l.Text)
		if hoistAttrLines && state != other && pending == nil && isOuterAttrLine(t) && run.crateFollows(lines, idx) {
			heldAttrs = append(heldAttrs, l)
			continue
		}
		switch state {
		case attrs:
			switch {
			case strings.HasPrefix(t, "#!["):
				// rustdoc starts a new pending attribute here, dropping
				// an unfinished one.
				pending = nil
				pendingEnd, pendingLint = innerAttrEnd(lines, idx)
				addPending(idx, l)
				continue
			case isBlankOrComment(t):
			case isCrateLine(t):
				state = crates
			case pending != nil:
				addPending(idx, l)
				continue
			default:
				state = other
			}
		case crates:
			if !isCrateLine(t) && !isBlankOrComment(t) {
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
	for len(p.rest) > 0 && strings.TrimSpace(p.rest[0].Text) == "" {
		p.rest = p.rest[1:]
	}
	for len(p.rest) > 0 && strings.TrimSpace(p.rest[len(p.rest)-1].Text) == "" {
		p.rest = p.rest[:len(p.rest)-1]
	}
	return p, true
}

// innerAttrEnd finds the line where the inner attribute that starts at
// lines[start] closes, and whether it is a lint level (allow, warn, deny,
// forbid: rustdoc puts those after the other crate attributes). end is
// -1 when it does not close before something ends it: another `#![`,
// which starts a new attribute, or an `extern crate` line, after which no
// line is added to it. The lines it may take are the ones partitionSource
// adds to a pending attribute (blank lines and `//` comments are not).
//
// rustdoc adds those lines one at a time and checks the text so far. The
// text up to a line lexes on its own exactly when lexing the whole text
// reaches the break after that line between tokens with no delimiter open
// (the lexer only looks past a break inside a token or at a lone `'`,
// which fails either way), so one lex finds the first such line.
func innerAttrEnd(lines []Line, start int) (end int, lint bool) {
	var text strings.Builder
	var taken []int  // the lines of the attribute, as indexes into lines
	var breaks []int // the rune offset of the break after each but the last
	runes := 0
	for i := start; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i].Text)
		if i > start {
			if strings.HasPrefix(t, "#![") || isCrateLine(t) {
				break
			}
			if isBlankOrComment(t) {
				continue
			}
			breaks = append(breaks, runes)
			text.WriteByte('\n')
			runes++
		}
		text.WriteString(lines[i].Text)
		runes += utf8.RuneCountInString(lines[i].Text)
		taken = append(taken, i)
	}
	closedAt := -1 // the first of taken whose text so far lexes
	toks, ok := lex(text.String(), func(at, open int) {
		if open == 0 && closedAt < 0 {
			closedAt = sort.SearchInts(breaks, at)
		}
	})
	if closedAt < 0 && ok {
		closedAt = len(taken) - 1
	}
	if closedAt < 0 || len(toks) < 3 || !toks[0].is("#") || !toks[1].is("!") || !toks[2].isOpen("[") {
		return -1, false
	}
	attr := make([]Line, closedAt+1)
	for k := range attr {
		attr[k] = lines[taken[k]]
	}
	return taken[closedAt], isLintLevel(toks, attr)
}

// isLintLevel says whether a complete inner attribute, lexed as toks from
// its lines, is a lint level. `#![allow(internal_features)]` and anything
// naming internal_features is not: it must stay with the feature gates.
func isLintLevel(toks []token, lines []Line) bool {
	if toks[2].match <= 3 || toks[3].kind != tkIdent {
		return false
	}
	switch toks[3].text {
	case "allow":
		for _, l := range lines {
			if strings.Contains(l.Text, "internal_features") {
				return false
			}
		}
		return true
	case "warn", "deny", "forbid":
		return true
	}
	return false
}

func isOuterAttrLine(t string) bool {
	if !strings.HasPrefix(t, "#[") {
		return false
	}
	toks, ok := lexRust(t)
	return ok && len(toks) > 2 && toks[0].is("#") && toks[1].isOpen("[") && toks[1].match == len(toks)-1
}

// attrRun remembers the last run of outer attribute lines looked past, so
// that each line of a long run is lexed once however many of them ask
// what follows the run.
type attrRun struct {
	// end is the index of the first line after the run (0: none yet);
	// crate says whether it is an `extern crate` line.
	end   int
	crate bool
}

// crateFollows says whether the first line after lines[idx] that is not
// an outer attribute alone on its line is an `extern crate` line.
func (r *attrRun) crateFollows(lines []Line, idx int) bool {
	if idx >= r.end {
		j := idx + 1
		for j < len(lines) && isOuterAttrLine(strings.TrimSpace(lines[j].Text)) {
			j++
		}
		r.end, r.crate = j, j < len(lines) && isCrateLine(strings.TrimSpace(lines[j].Text))
	}
	return r.crate
}
