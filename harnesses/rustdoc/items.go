package rustdoc

// itemScanner reads a token stream item by item, as far as hasMainFn
// needs: whether a top-level fn main is among the items before the first
// statement, and whether a macro was invoked on the way.
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
