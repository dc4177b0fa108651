package rustdoc

// A minimal Rust lexer: enough to skip comments and literals and to match
// delimiters.

import (
	"sync/atomic"
	"unicode"
)

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

// closing is the delimiter that closes open.
func closing(open string) rune {
	switch open {
	case "(":
		return ')'
	case "[":
		return ']'
	}
	return '}'
}

// runesLexed counts the runes every lex call has been given: the work
// the transforms do is linear in the block's size exactly when this is,
// which tests check without timing anything.
var runesLexed atomic.Int64

// lexRust tokenizes src. ok is false for an unterminated comment, string
// or character literal, or unbalanced delimiters.
func lexRust(src string) (toks []token, ok bool) {
	toks, ok = lex(src, nil)
	if !ok {
		return nil, false
	}
	return toks, true
}

// lex tokenizes src as lexRust does, but on failure also returns the
// tokens read before it. onBreak, if set, is called at every line break
// the lexer reaches between tokens (not inside a comment or literal), with
// the break's rune offset and how many delimiters are open there: where
// it is called with none open, the text before the break lexes on its own
// (see innerAttrEnd).
func lex(src string, onBreak func(at, open int)) (toks []token, ok bool) {
	rs := []rune(src)
	n := len(rs)
	runesLexed.Add(int64(n))
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
			if r == '\n' && onBreak != nil {
				onBreak(i, len(stack))
			}
			i++
		case r == '/' && peek(i+1) == '/':
			for i < n && rs[i] != '\n' {
				i++
			}
		case r == '/' && peek(i+1) == '*':
			depth := 0
			for {
				if i >= n {
					return toks, false
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
				return toks, false
			}
			toks = append(toks, token{kind: tkLiteral, text: string(rs[i:end])})
			i = end
		case r == '\'':
			// A character literal ('a', '\n', '\u{1F600}') or a lifetime.
			if peek(i+1) == '\\' || (peek(i+2) == '\'' && peek(i+1) != 0) {
				end, ok := quoted(i, '\'')
				if !ok {
					return toks, false
				}
				toks = append(toks, token{kind: tkLiteral, text: string(rs[i:end])})
				i = end
				continue
			}
			if !isIdentStart(peek(i + 1)) {
				return toks, false
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
					return toks, false
				}
				toks = append(toks, token{kind: tkLiteral, text: string(rs[i:end])})
				i = end
			case (word == "b" || word == "c") && peek(j) == '"', word == "b" && peek(j) == '\'':
				end, ok := quoted(j, peek(j))
				if !ok {
					return toks, false
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
				return toks, false
			}
			open := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if closing(toks[open].text) != r {
				return toks, false
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
