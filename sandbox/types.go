// Package sandbox owns the service's domain: what a request is, what a
// response says, the one status vocabulary, and the Service that turns the
// first into the second by compiling a harnessed stub and running it. It
// knows nothing of HTTP.
package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Status is the single vocabulary for how a request ended.
type Status string

const (
	StatusOK             Status = "ok"
	StatusCompileError   Status = "compile_error"
	StatusRuntimeError   Status = "runtime_error"
	StatusTimeout        Status = "timeout"
	StatusMemoryLimit    Status = "memory_limit"
	StatusOutputLimit    Status = "output_limit"
	StatusInvalidRequest Status = "invalid_request"
	StatusInternalError  Status = "internal_error"
	// StatusOverloaded is returned when admission control refuses work.
	StatusOverloaded Status = "overloaded"
)

// Request is the domain form of an execute request.
type Request struct {
	Harness string
	Stub    string
	// Args is the harness's argument object, already checked to be a JSON
	// object (or absent). The harness validates its contents.
	Args json.RawMessage
	// Seed, when set, replaces the content-derived seed of the guest's
	// random source.
	Seed *uint64
}

// Diagnostic is one structured compiler message, positioned in the stub.
type Diagnostic struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// Usage is a resource report in wire units.
type Usage struct {
	WallMS          int64  `json:"wall_ms"`
	CPUMS           int64  `json:"cpu_ms"`
	PeakMemoryBytes int64  `json:"peak_memory_bytes"`
	Limit           string `json:"limit,omitempty"`
}

// CompileReport is the compile section of a response.
type CompileReport struct {
	Success     bool         `json:"success"`
	ExitCode    int          `json:"exit_code"`
	Stderr      string       `json:"stderr"`
	Diagnostics []Diagnostic `json:"diagnostics"`
	DurationMS  int64        `json:"duration_ms"`
	Cached      bool         `json:"cached"`
	ModuleBytes int          `json:"module_bytes,omitempty"`
	Usage       Usage        `json:"usage"`
}

// RunReport is the run section of a response.
type RunReport struct {
	ExitCode        *int32 `json:"exit_code"`
	Trap            string `json:"trap,omitempty"`
	Stdout          string `json:"stdout"`
	Stderr          string `json:"stderr"`
	StdoutTruncated bool   `json:"stdout_truncated"`
	StderrTruncated bool   `json:"stderr_truncated"`
	DurationMS      int64  `json:"duration_ms"`
	Usage           Usage  `json:"usage"`
	// Result is the harness's structured reading of the run, if it has one.
	Result json.RawMessage `json:"result,omitempty"`
}

// Response is the whole answer to a Request.
type Response struct {
	Status  Status         `json:"status"`
	Harness string         `json:"harness"`
	Seed    string         `json:"seed"`
	Error   string         `json:"error,omitempty"`
	Cache   *CacheReport   `json:"cache,omitempty"`
	Compile *CompileReport `json:"compile"`
	// volatile marks a response that depends on more than the request
	// (a compiler killed from outside), so it is never memoized.
	volatile bool
	Run      *RunReport `json:"run"`
	// Result is the harness's verdict on the whole request, for harnesses
	// that give one (example: whether the doctest passed). Unlike
	// run.result it is there when nothing ran.
	Result json.RawMessage `json:"result,omitempty"`
}

// Error is a failure that is the caller's to fix (or the service's to
// report without detail). Handlers map Code to an HTTP status.
type Error struct {
	Code    Status
	Message string
	// Field names the offending part of the request, when there is one.
	Field string
	// TooLarge marks size violations, which map to 413 rather than 400.
	TooLarge bool
	Err      error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid builds an invalid_request error about field.
func Invalid(field, format string, a ...any) *Error {
	return &Error{Code: StatusInvalidRequest, Field: field, Message: fmt.Sprintf(format, a...)}
}

// AsError returns err as an *Error if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// HarnessInfo describes a harness to clients: what it does, the JSON
// schema of its args, and a complete example request.
type HarnessInfo struct {
	ID          string          `json:"id"`
	Description string          `json:"description"`
	ArgsSchema  json.RawMessage `json:"args_schema"`
	Example     json.RawMessage `json:"example"`
}
