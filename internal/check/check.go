// Package check owns what every configuration section does the same way:
// read a zero field left by a caller as its default (WithDefaults), and
// refuse bad values. Each section validates itself into a List, naming
// each bad value by its JSON key path and the range it must lie in, and
// sections nest into one another so that the operator reads the full
// path ("service.max_concurrent: -1 is out of range 1..1024").
//
// It is a leaf: the packages that own configuration sections import it,
// it imports nothing of theirs.
package check

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one refused value.
type Problem struct {
	// Key is the JSON key path, dotted ("runtime.timeout_ms").
	Key string
	// Msg says what is wrong and what is allowed.
	Msg string
}

// Error is a refused configuration: every problem found, in order.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Key + ": " + p.Msg
	}
	return strings.Join(lines, "\n")
}

// List collects the problems of one section. The zero List is empty and
// ready to use.
type List struct {
	problems []Problem
}

// Add refuses the value at key.
func (l *List) Add(key, format string, args ...any) {
	for _, p := range l.problems {
		if p.Key == key {
			return // one complaint per key: the first is the most basic
		}
	}
	l.problems = append(l.problems, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Number is what Range checks.
type Number interface{ ~int | ~int64 }

// Range refuses v outside lo..hi.
func Range[T Number](l *List, key string, v, lo, hi T) {
	if v < lo || v > hi {
		l.Add(key, "%d is out of range %d..%d", v, lo, hi)
	}
}

// RangeOrZero is Range for a key whose 0 means "the default": 0 is
// allowed besides lo..hi.
func RangeOrZero[T Number](l *List, key string, v, lo, hi T) {
	if v != 0 && (v < lo || v > hi) {
		l.Add(key, "%d is out of range %d..%d (or 0: the default)", v, lo, hi)
	}
}

// OneOf refuses a string that is not one of allowed.
func OneOf[T ~string](l *List, key string, v T, allowed ...T) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	l.Add(key, "%q is not one of %s", v, strings.Join(quoted, ", "))
}

// Nest adds the problems of a subsection's error under prefix. An error
// that is not an *Error is reported against prefix itself.
func (l *List) Nest(prefix string, err error) {
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		l.Add(prefix, "%v", err)
		return
	}
	for _, p := range e.Problems {
		l.Add(Join(prefix, p.Key), "%s", p.Msg)
	}
}

// Join appends key to the path prefix.
func Join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	if key == "" {
		return prefix
	}
	return prefix + "." + key
}

// Err is the list as an *Error, or nil when it is empty.
func (l *List) Err() error {
	if len(l.problems) == 0 {
		return nil
	}
	return &Error{Problems: append([]Problem(nil), l.problems...)}
}
