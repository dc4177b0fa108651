// Package sandbox owns the service's domain: what a request is and the
// one place it is validated, what a response says, the coded errors a
// request is refused with, and the Service that turns a request into a
// response by having its harness plan it, compiling and running the plan,
// and handing what happened back to the harness to report. It knows
// nothing of HTTP; what became of a program is said in package outcome's
// words.
package sandbox

import (
	"bytes"
	"encoding/json"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// Request is the domain form of an execute request.
type Request struct {
	Harness string
	Stub    string
	// Args is the harness's argument object (absent or null means {}).
	// The harness validates its contents.
	Args json.RawMessage
	// Files are a project's files by path below its root (package
	// project checks them), each its bytes, however the wire carried
	// them (text or base64: FileEncodingBase64); a stub beside them is
	// the crate root, src/main.rs.
	Files map[string][]byte
	// Seed, when set, replaces the content-derived seed of the guest's
	// random source.
	Seed *uint64
	// Limits lowers or raises the server's limits for this request, each
	// up to the server's maximum; a zero field keeps the default.
	Limits Limits
	// Client names who sent the request (an API key's name, or the
	// remote address), for the fair sharing of slots. It is not part of
	// the request's result, nor of its memo key.
	Client string
	// Session is the client's token for an editing session (see
	// ValidSession): with it, a compile starts from the incremental
	// directory of the client's earlier compiles of the same project,
	// and leaves it for the next. It is not part of the result (a
	// module's bytes do not depend on it), nor of the memo key.
	Session string
}

// FileEncodingBase64 is the encoding of a file sent as bytes rather than
// text: {"content": "<standard padded base64>", "encoding": "base64"},
// the form the response's bodies use (body_encoding).
const FileEncodingBase64 = "base64"

// Session tokens: 16 to 128 characters of [A-Za-z0-9_-] (the base64url
// alphabet: 22 characters are 128 random bits).
const (
	MinSessionBytes = 16
	MaxSessionBytes = 128
)

// ValidSession reports whether s is a session token's form.
func ValidSession(s string) bool {
	if len(s) < MinSessionBytes || len(s) > MaxSessionBytes {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Validate checks what the domain asks of every request, whoever sends
// it: a harness is named, the stub is there (or files are), within
// maxStubBytes and valid UTF-8, and args is a JSON object or absent. The
// files themselves are the Service's to check (their limits, the
// profile). Whether the harness
// exists, and what its args may hold, is the Service's and the harness's
// to say.
func (r Request) Validate(maxStubBytes int) error {
	if r.Harness == "" {
		return Invalid("harness", "harness is required")
	}
	if r.Stub == "" && len(r.Files) == 0 {
		return Invalid("stub", "stub is required (or files, a project): it is missing or empty")
	}
	if len(r.Stub) > maxStubBytes {
		return Errorf(CodeTooLarge, "stub", "stub is %d bytes; the limit is %d", len(r.Stub), maxStubBytes)
	}
	if err := CheckUTF8([]byte(r.Stub), "stub", "stub"); err != nil {
		return err
	}
	if r.Session != "" && !ValidSession(r.Session) {
		return Invalid("session", "session must be %d to %d characters of A-Z, a-z, 0-9, _ and - (choose it at random: 22 characters are 128 bits)", MinSessionBytes, MaxSessionBytes)
	}
	args := bytes.TrimSpace(r.Args)
	if len(args) == 0 || string(args) == "null" {
		return nil
	}
	if !json.Valid(args) || args[0] != '{' {
		return Invalid("args", "args must be a JSON object")
	}
	return nil
}

// Usage is a resource report in wire units.
type Usage struct {
	WallMS          int64         `json:"wall_ms"`
	CPUMS           int64         `json:"cpu_ms"`
	PeakMemoryBytes int64         `json:"peak_memory_bytes"`
	Limit           outcome.Limit `json:"limit,omitempty"`
}

// CompileReport is the compile section of a response.
type CompileReport struct {
	Success  bool   `json:"success"`
	ExitCode int    `json:"exit_code"`
	Stderr   string `json:"stderr"`
	// Diagnostics are positioned in the stub.
	Diagnostics []outcome.Diagnostic `json:"diagnostics"`
	DurationMS  int64                `json:"duration_ms"`
	Cached      bool                 `json:"cached"`
	ModuleBytes int                  `json:"module_bytes,omitempty"`
	Usage       Usage                `json:"usage"`
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

// Response is the whole answer to a Request that was accepted, whatever
// became of its program; it is also the wire form clients (and the
// end-to-end tests) read.
type Response struct {
	Status  outcome.Status `json:"status"`
	Harness string         `json:"harness"`
	Seed    string         `json:"seed"`
	// Limits are the limits the request ran under (its own within the
	// server's maxima, else the defaults).
	Limits  *Limits        `json:"limits,omitempty"`
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

// HarnessInfo describes a harness to clients: what it does, the JSON
// schema of its args, and a complete example request.
type HarnessInfo struct {
	ID          string          `json:"id"`
	Description string          `json:"description"`
	ArgsSchema  json.RawMessage `json:"args_schema"`
	Example     json.RawMessage `json:"example"`
}
