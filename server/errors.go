package server

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// Problem is the one JSON shape of every failure, and the type clients
// (and the tests) read it into.
type Problem struct {
	// Status is one of the failure statuses below.
	Status  string `json:"status"`
	Message string `json:"error"`
	// Field names the offending part of the request, when there is one.
	Field string `json:"field,omitempty"`
	// RequestID is the request's id (also in the X-Request-Id header),
	// to find its log line.
	RequestID string `json:"request_id,omitempty"`
}

// The statuses a failure reports (docs/api.md). They share the status
// field with the result statuses of package outcome, but a failure is
// never a result: it comes with a 4xx or 5xx and a Problem body.
const (
	StatusInvalidRequest = "invalid_request"
	StatusNotFound       = "not_found"
	StatusOverloaded     = "overloaded"
	StatusRateLimited    = "rate_limited"
	StatusTimeout        = "timeout"
	StatusInternalError  = "internal_error"
)

// failures is the one table from an error's code to the HTTP status and
// the status its body reports. Every request the caller must fix is an
// invalid_request, whatever refined the HTTP status: one word for "fix
// your request" keeps clients simple, and the field says what to fix.
// A code missing here is the service's bug, and becomes 500.
var failures = map[sandbox.Code]struct {
	http   int
	status string
}{
	sandbox.CodeInvalid:      {fiber.StatusBadRequest, StatusInvalidRequest},
	sandbox.CodeNotFound:     {fiber.StatusNotFound, StatusInvalidRequest},
	sandbox.CodeMissing:      {fiber.StatusNotFound, StatusNotFound},
	sandbox.CodeNotAllowed:   {fiber.StatusMethodNotAllowed, StatusInvalidRequest},
	sandbox.CodeTooLarge:     {fiber.StatusRequestEntityTooLarge, StatusInvalidRequest},
	sandbox.CodeUnsupported:  {fiber.StatusUnsupportedMediaType, StatusInvalidRequest},
	sandbox.CodeUnauthorized: {fiber.StatusUnauthorized, StatusInvalidRequest},
	sandbox.CodeForbidden:    {fiber.StatusForbidden, StatusInvalidRequest},
	sandbox.CodeMisdirected:  {fiber.StatusMisdirectedRequest, StatusInvalidRequest},
	sandbox.CodeRateLimited:  {fiber.StatusTooManyRequests, StatusRateLimited},
	sandbox.CodeOverloaded:   {fiber.StatusServiceUnavailable, StatusOverloaded},
	sandbox.CodeTimeout:      {fiber.StatusGatewayTimeout, StatusTimeout},
	sandbox.CodeInternal:     {fiber.StatusInternalServerError, StatusInternalError},
}

// minRetryAfter is the least Retry-After sent with an overloaded or
// rate-limited answer (the header counts whole seconds), and what is
// sent when the refusal gives no estimate of its own.
const minRetryAfter = time.Second

// retryAfter is the Retry-After header for err: its estimate rounded up
// to whole seconds, at least minRetryAfter.
func retryAfter(err error) string {
	d := minRetryAfter
	if se, ok := sandbox.AsError(err); ok && se.RetryAfter > d {
		d = se.RetryAfter
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}

// genericInternal is all a client learns about an internal error; the
// details go to the log only, as they may describe the host.
const genericInternal = "internal error; it has been logged"

// ProblemOf is the HTTP status and the body of a failure, from its code
// (see failures). Anything that is not a coded error, and every internal
// one, is reported without detail.
func ProblemOf(err error) (int, Problem) {
	se, ok := sandbox.AsError(err)
	if !ok {
		return fiber.StatusInternalServerError, internalProblem()
	}
	f, ok := failures[se.Code]
	if !ok || se.Code == sandbox.CodeInternal {
		return fiber.StatusInternalServerError, internalProblem()
	}
	return f.http, Problem{Status: f.status, Message: messageOr(se.Message, f.status), Field: se.Field}
}

// localProblem holds the status word of the failure a request was
// answered with, for its log line.
const localProblem = "server.problem"

// panicked marks, in the request's locals, that a handler panicked, so the
// error handler answers 500 whatever the panic value was.
const panicked = "server.panicked"

// handleError is the app's only ErrorHandler: it turns any error, ours or
// Fiber's, into the Problem shape and its HTTP status.
func (s *server) handleError(c *fiber.Ctx, err error) error {
	code, p := s.classify(c, err)
	p.RequestID = requestIDOf(c)
	c.Locals(localProblem, p.Status)
	if code >= fiber.StatusInternalServerError && p.Status != StatusOverloaded {
		s.log.Error("request failed", "request_id", p.RequestID, "method", c.Method(), "path", c.Path(), "code", code, "err", err)
	} else {
		s.log.Debug("request refused", "request_id", p.RequestID, "method", c.Method(), "path", c.Path(), "code", code, "err", err)
	}
	if p.Status == StatusOverloaded || p.Status == StatusRateLimited {
		c.Set(fiber.HeaderRetryAfter, retryAfter(err))
	}
	return writeJSON(c, code, p)
}

// classify maps err to an HTTP status and the Problem to send: coded
// errors through the table, Fiber's own errors (which already are HTTP
// statuses) by their status, a panic and anything else as internal.
func (s *server) classify(c *fiber.Ctx, err error) (int, Problem) {
	if c.Locals(panicked) != nil {
		return fiber.StatusInternalServerError, internalProblem()
	}
	var fe *fiber.Error
	if _, coded := sandbox.AsError(err); !coded && errors.As(err, &fe) {
		return s.fromFiber(c, fe)
	}
	return ProblemOf(err)
}

// fromFiber maps Fiber's own errors (routing, body limit, connection
// trouble), keeping their HTTP status: 4xx are the caller's to fix, 429
// and 503 mean overloaded, 504 a timeout, and any other 5xx is internal.
func (s *server) fromFiber(c *fiber.Ctx, fe *fiber.Error) (int, Problem) {
	p := Problem{Status: StatusInvalidRequest, Message: fe.Message}
	switch code := fe.Code; {
	case code == fiber.StatusNotFound:
		p.Message = fmt.Sprintf("no route for %s %s", c.Method(), c.Path())
	case code == fiber.StatusMethodNotAllowed:
		p.Message = fmt.Sprintf("method %s is not allowed on %s", c.Method(), c.Path())
	case code == fiber.StatusRequestEntityTooLarge:
		p.Message = fmt.Sprintf("request body is larger than the %d-byte limit", s.cfg.MaxBodyBytes)
	case code == fiber.StatusRequestHeaderFieldsTooLarge:
		p.Message = fmt.Sprintf("request line and headers are larger than the %d-byte limit", s.cfg.MaxHeaderBytes)
	case code == fiber.StatusTooManyRequests || code == fiber.StatusServiceUnavailable:
		p = Problem{Status: StatusOverloaded, Message: "the service is busy; retry shortly"}
	case code == fiber.StatusGatewayTimeout:
		p = Problem{Status: StatusTimeout, Message: fe.Message}
	case code >= fiber.StatusInternalServerError || code < fiber.StatusBadRequest:
		return fiber.StatusInternalServerError, internalProblem()
	}
	return fe.Code, p
}

func internalProblem() Problem {
	return Problem{Status: StatusInternalError, Message: genericInternal}
}

func messageOr(msg, fallback string) string {
	if msg == "" {
		return fallback
	}
	return msg
}

// logPanic is the recover middleware's stack trace handler: it logs the
// panic with its stack and marks the request so it is answered with 500.
func (s *server) logPanic(c *fiber.Ctx, v any) {
	c.Locals(panicked, true)
	s.log.Error("handler panicked", "method", c.Method(), "path", c.Path(),
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
}
