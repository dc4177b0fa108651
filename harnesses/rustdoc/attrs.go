package rustdoc

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
)

// Attrs is a code block's info string as rustdoc reads it
// (LangString::parse).
type Attrs struct {
	// Rust: the block is Rust, so a doctest. Unknown tags make a block
	// "not Rust" (another language, e.g. `text`) unless `rust` or a
	// doctest attribute came before them.
	Rust bool
	// IgnoreAll: `ignore`; IgnoreTargets: `ignore-<target>` tags, which
	// replace a plain `ignore`.
	IgnoreAll     bool
	IgnoreTargets []string
	ShouldPanic   bool
	NoRun         bool
	CompileFail   bool
	TestHarness   bool
	// ErrorCodes are `E0308`-style tags: a compile_fail block passes only
	// if the compiler reports each of them.
	ErrorCodes []string
	// Edition from `edition2018` etc.; "" for none or an unknown one.
	Edition string
	// Unknown holds the tags rustdoc does not know.
	Unknown []string
	// SyntaxError, when set, is why the info string could not be read;
	// rustdoc then treats the block as not Rust.
	SyntaxError string
}

// IgnoredOn says whether the block is ignored when testing for target.
func (a Attrs) IgnoredOn(target string) bool {
	if len(a.IgnoreTargets) > 0 {
		for _, t := range a.IgnoreTargets {
			if strings.Contains(target, t) {
				return true
			}
		}
		return false
	}
	return a.IgnoreAll
}

// ParseAttrs reads an info string such as "rust,no_run",
// "should_panic edition2018" or "text". As in rustdoc: tokens are
// separated by spaces, tabs or commas; `{...}` blocks (classes, key=value)
// and `(...)` comments carry no test meaning; `compile_fail` implies
// `no_run`; an `editionNNNN` that is not an edition is dropped; `rust2021`
// and the like are not attributes (rustdoc only warns). Error codes are
// honoured as a nightly rustdoc honours them.
func ParseAttrs(info string) Attrs {
	a := Attrs{Rust: true}
	tokens, err := fenceTokens(info)
	seenRust, seenOther := false, false
	for _, t := range tokens {
		switch {
		case t == "should_panic":
			a.ShouldPanic, seenRust = true, !seenOther
		case t == "no_run":
			a.NoRun, seenRust = true, !seenOther
		case t == "ignore":
			a.IgnoreAll, seenRust = true, !seenOther
		case strings.HasPrefix(t, "ignore-"):
			a.IgnoreTargets, seenRust = append(a.IgnoreTargets, strings.TrimPrefix(t, "ignore-")), !seenOther
		case t == "rust":
			seenRust = true
		case t == "test_harness":
			a.TestHarness, seenRust = true, !seenOther || seenRust
		case t == "compile_fail":
			a.CompileFail, a.NoRun, seenRust = true, true, !seenOther || seenRust
		case t == "standalone_crate":
			seenRust = !seenOther || seenRust
		case strings.HasPrefix(t, "edition"):
			a.Edition = ""
			if edition.Valid(strings.TrimPrefix(t, "edition")) {
				a.Edition = strings.TrimPrefix(t, "edition")
			}
		case strings.HasPrefix(t, "rust") && edition.Valid(strings.TrimPrefix(t, "rust")):
		case isErrorCode(t):
			a.ErrorCodes, seenRust = append(a.ErrorCodes, t), !seenOther || seenRust
		case t == "custom":
			a.Rust = false
		default:
			seenOther = true
			a.Unknown = append(a.Unknown, t)
		}
	}
	if err != "" {
		a.SyntaxError = err
	}
	a.Rust = a.Rust && (!seenOther || seenRust) && err == ""
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
			end := indexFrom(rs, i+1, '}')
			if end >= n {
				return tokens, "unclosed attribute block (`{}`)"
			}
			if msg := checkAttrBlock(string(rs[i+1 : end])); msg != "" {
				return tokens, msg
			}
			i = end + 1
		case c == '(':
			end := indexFrom(rs, i+1, ')')
			if end >= n {
				return tokens, "unclosed comment: missing `)`"
			}
			i = end + 1
		case c == '"':
			end := indexFrom(rs, i+1, '"')
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

// indexFrom is the index of the first c in rs at or after i, or len(rs).
func indexFrom(rs []rune, i int, c rune) int {
	for i < len(rs) && rs[i] != c {
		i++
	}
	return i
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
