package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// POST /evaluate.json is the Rust playground's endpoint in the shape
// mdBook's play button uses: an mdBook whose output.html.playground
// points at this service runs its code blocks here. The code runs as the
// example harness (a documentation block, as rustdoc runs it), which is
// what a block in a book is: one with fn main runs as it is, one without
// gets rustdoc's fn main (mdBook adds one itself before sending). See
// docs/api.md.

// evaluateWire is the playground's request. version and optimize name
// the playground's channel and optimization level; there is one
// toolchain here, so they are read and not used.
type evaluateWire struct {
	Version  string `json:"version"`
	Optimize string `json:"optimize"`
	Code     string `json:"code"`
	Edition  string `json:"edition"`
}

// evaluateAnswer is the playground's response: what the program (and
// the compiler) wrote, or why nothing ran.
type evaluateAnswer struct {
	Result string  `json:"result"`
	Error  *string `json:"error"`
}

func (s *server) evaluate(c *fiber.Ctx) error {
	req, err := parseEvaluate(c)
	if err == nil {
		var resp sandbox.Response
		resp, err = s.call(c, req)
		if errors.Is(err, errClientGone) {
			return s.clientGone(c)
		}
		if err == nil {
			return writeJSON(c, fiber.StatusOK, evaluateAnswer{Result: evaluateText(resp)})
		}
	}
	// A refusal keeps its HTTP status, in the playground's shape.
	code, p := ProblemOf(err)
	if code >= fiber.StatusInternalServerError && p.Status != StatusOverloaded {
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "code", code, "err", err)
	}
	if p.Status == StatusOverloaded || p.Status == StatusRateLimited {
		c.Set(fiber.HeaderRetryAfter, retryAfter(err))
	}
	msg := p.Message
	return writeJSON(c, code, evaluateAnswer{Error: &msg})
}

// parseEvaluate reads the playground's request into an example request.
func parseEvaluate(c *fiber.Ctx) (sandbox.Request, error) {
	members, err := readMembers(c)
	if err != nil {
		return sandbox.Request{}, err
	}
	var w evaluateWire
	for _, m := range members {
		var dst *string
		switch m.name {
		case "version":
			dst = &w.Version
		case "optimize":
			dst = &w.Optimize
		case "code":
			dst = &w.Code
		case "edition":
			dst = &w.Edition
		default:
			return sandbox.Request{}, sandbox.Invalid(m.name, "unknown field %q; the fields are version, optimize, code and edition", m.name)
		}
		if err := decodeString(m.value, m.name, dst); err != nil {
			return sandbox.Request{}, err
		}
	}
	if w.Code == "" {
		return sandbox.Request{}, sandbox.Invalid("code", "code is required")
	}
	if w.Edition != "" && !edition.Valid(w.Edition) {
		return sandbox.Request{}, sandbox.Invalid("edition", "edition %q is not one of %s", w.Edition, strings.Join(edition.All(), ", "))
	}
	args := map[string]string{"attrs": "rust"}
	if w.Edition != "" {
		args["edition"] = w.Edition
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return sandbox.Request{}, fmt.Errorf("evaluate args: %w", err)
	}
	return sandbox.Request{Harness: "example", Stub: w.Code, Args: raw}, nil
}

// evaluateText is the playground's result text: what the program wrote
// to stdout, then stderr as the playground has it (the compiler's
// output, then the program's), and a last line when a limit ended it.
func evaluateText(r sandbox.Response) string {
	var b strings.Builder
	if r.Run != nil {
		b.WriteString(r.Run.Stdout)
	}
	if r.Compile != nil {
		b.WriteString(r.Compile.Stderr)
	}
	if r.Run != nil {
		b.WriteString(r.Run.Stderr)
	}
	switch r.Status {
	case outcome.StatusTimeout, outcome.StatusMemoryLimit, outcome.StatusOutputLimit:
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "[stopped: %s]\n", r.Status)
	}
	return b.String()
}
