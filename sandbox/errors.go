package sandbox

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Code says what kind of failure an Error is. It is not a result status:
// a request that fails this way never ran. The HTTP adapter maps each
// code to an HTTP status in one table.
type Code string

const (
	// CodeInvalid: the request is wrong; Field says where.
	CodeInvalid Code = "invalid"
	// CodeNotFound: the request names something that does not exist.
	CodeNotFound Code = "not_found"
	// CodeMissing: what the request asks for by its id is not stored
	// (a share that never was, or was evicted). Unlike CodeNotFound, the
	// request is well formed: only the thing is absent.
	CodeMissing Code = "missing"
	// CodeTooLarge: a part of the request is over its size limit.
	CodeTooLarge Code = "too_large"
	// CodeUnsupported: the request comes in a form that is not taken (a
	// media type, an encoding).
	CodeUnsupported Code = "unsupported"
	// CodeNotAllowed: what was asked is not offered that way (a route
	// asked with another method).
	CodeNotAllowed Code = "not_allowed"
	// CodeUnauthorized: the request needs an API key it did not bring,
	// or brought one the service does not know.
	CodeUnauthorized Code = "unauthorized"
	// CodeForbidden: the request came from somewhere it may not come
	// from (a web page of an origin that is not allowed).
	CodeForbidden Code = "forbidden"
	// CodeMisdirected: the request named a host (its Host header) this
	// service does not answer for, as a DNS-rebinding page would.
	CodeMisdirected Code = "misdirected"
	// CodeRateLimited: the client is over its own share (its API key's
	// concurrency or rate); retry after Error.RetryAfter.
	CodeRateLimited Code = "rate_limited"
	// CodeOverloaded: admission control refused the work; retry after
	// Error.RetryAfter.
	CodeOverloaded Code = "overloaded"
	// CodeTimeout: the request as a whole ran out of time before it had a
	// result. Not the program's timeout, which is a result.
	CodeTimeout Code = "timeout"
	// CodeInternal: the machinery failed. The details are for the log.
	CodeInternal Code = "internal"
)

// Error is a request the service refuses: the caller's to fix, or, for
// CodeInternal, the service's to report without detail.
type Error struct {
	Code    Code
	Message string
	// Field names the offending part of the request, when there is one.
	Field string
	// RetryAfter, for CodeOverloaded and CodeRateLimited, is when a retry
	// is expected to be taken; zero means soon (the adapter's minimum).
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an error with code about field.
func Errorf(code Code, field, format string, a ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, a...)}
}

// Invalid builds a CodeInvalid error about field.
func Invalid(field, format string, a ...any) *Error {
	return Errorf(CodeInvalid, field, format, a...)
}

// AsError returns err as an *Error if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CheckUTF8 refuses text that is not valid UTF-8, naming what it is and
// where the first invalid byte is.
func CheckUTF8(b []byte, field, what string) error {
	if utf8.Valid(b) {
		return nil
	}
	return Invalid(field, "%s is not valid UTF-8 (first invalid byte at offset %d)", what, invalidUTF8At(b))
}

// invalidUTF8At returns the offset of the first byte of b that does not
// begin a valid UTF-8 sequence, or -1 if b is valid.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}
