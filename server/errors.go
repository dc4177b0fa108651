package server

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// problem is the one JSON shape of every failure.
type problem struct {
	Status  sandbox.Status `json:"status"`
	Message string         `json:"error"`
	Field   string         `json:"field,omitempty"`
}

// statusHTTP is the one table from the status vocabulary to the HTTP status
// of a failure. Every invalid_request is 400, including well-formed JSON
// whose values are wrong: one code for "fix your request" keeps clients
// simple, and the field says what to fix. Two refinements come from the
// error rather than its code: a TooLarge error is 413, and the service's
// invalid_request about "harness" is 404 (see serviceError). Codes missing
// here (the result statuses) are never failures, so meeting one as an
// error is the service's bug and becomes 500.
var statusHTTP = map[sandbox.Status]int{
	sandbox.StatusInvalidRequest: fiber.StatusBadRequest,
	sandbox.StatusOverloaded:     fiber.StatusServiceUnavailable,
	sandbox.StatusTimeout:        fiber.StatusGatewayTimeout,
	sandbox.StatusInternalError:  fiber.StatusInternalServerError,
}

// retryAfterSeconds is sent with every overloaded answer: admission control
// frees up on the scale of one run, so clients should come back soon.
const retryAfterSeconds = 1

// genericInternal is all a client learns about an internal error; the
// details go to the log only, as they may describe the host.
const genericInternal = "internal error; it has been logged"

// httpError is a failure whose HTTP status the status vocabulary cannot
// express on its own: an unsupported media type, an unknown harness, a
// method a route does not allow.
type httpError struct {
	code int
	problem
	err error
}

func (e *httpError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%d %s: %v", e.code, e.Message, e.err)
	}
	return fmt.Sprintf("%d %s", e.code, e.Message)
}

func (e *httpError) Unwrap() error { return e.err }

func unsupportedMedia(format string, a ...any) *httpError {
	return &httpError{
		code:    fiber.StatusUnsupportedMediaType,
		problem: problem{Status: sandbox.StatusInvalidRequest, Message: fmt.Sprintf(format, a...)},
	}
}

// serviceError adapts an error from Service.Execute for the error handler.
// The service reports an unknown harness as invalid_request with Field
// "harness"; as the request named something that does not exist, that is
// a 404. The rule is for the service's errors only: the server's own
// "harness is required" stays 400.
func serviceError(err error) error {
	se, ok := sandbox.AsError(err)
	if ok && se.Code == sandbox.StatusInvalidRequest && se.Field == "harness" && !se.TooLarge {
		return &httpError{
			code:    fiber.StatusNotFound,
			problem: problem{Status: se.Code, Message: messageOr(se.Message, "unknown harness"), Field: se.Field},
			err:     err,
		}
	}
	return fmt.Errorf("execute: %w", err)
}

// panicked marks, in the request's locals, that a handler panicked, so the
// error handler answers 500 whatever the panic value was.
const panicked = "server.panicked"

// handleError is the app's only ErrorHandler: it turns any error, ours or
// Fiber's, into the problem shape and the HTTP status from the table.
func (s *server) handleError(c *fiber.Ctx, err error) error {
	code, p := s.classify(c, err)
	if code >= fiber.StatusInternalServerError && p.Status != sandbox.StatusOverloaded {
		s.log.Error("request failed", "method", c.Method(), "path", c.Path(), "code", code, "err", err)
	} else {
		s.log.Debug("request refused", "method", c.Method(), "path", c.Path(), "code", code, "err", err)
	}
	if p.Status == sandbox.StatusOverloaded {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retryAfterSeconds))
	}
	return writeJSON(c, code, p)
}

// classify maps err to an HTTP status and the problem to send.
func (s *server) classify(c *fiber.Ctx, err error) (int, problem) {
	if c.Locals(panicked) != nil {
		return fiber.StatusInternalServerError, internalProblem()
	}
	var he *httpError
	if errors.As(err, &he) {
		return he.code, he.problem
	}
	if se, ok := sandbox.AsError(err); ok {
		return fromSandbox(se)
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return s.fromFiber(c, fe)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fiber.StatusGatewayTimeout, problem{
			Status:  sandbox.StatusTimeout,
			Message: fmt.Sprintf("the request did not finish within %s", s.cfg.RequestTimeout()),
		}
	}
	return fiber.StatusInternalServerError, internalProblem()
}

func fromSandbox(se *sandbox.Error) (int, problem) {
	code, ok := statusHTTP[se.Code]
	if !ok || se.Code == sandbox.StatusInternalError {
		return fiber.StatusInternalServerError, internalProblem()
	}
	if se.TooLarge && se.Code == sandbox.StatusInvalidRequest {
		code = fiber.StatusRequestEntityTooLarge
	}
	return code, problem{Status: se.Code, Message: messageOr(se.Message, string(se.Code)), Field: se.Field}
}

// fromFiber maps Fiber's own errors (routing, body limit, connection
// trouble) into the vocabulary: 4xx are the caller's to fix, 429 and 503
// mean overloaded, 504 a timeout, and any other 5xx is internal.
func (s *server) fromFiber(c *fiber.Ctx, fe *fiber.Error) (int, problem) {
	p := problem{Status: sandbox.StatusInvalidRequest, Message: fe.Message}
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
		p = problem{Status: sandbox.StatusOverloaded, Message: "the service is busy; retry shortly"}
	case code == fiber.StatusGatewayTimeout:
		p = problem{Status: sandbox.StatusTimeout, Message: fe.Message}
	case code >= fiber.StatusInternalServerError || code < fiber.StatusBadRequest:
		return fiber.StatusInternalServerError, internalProblem()
	}
	return fe.Code, p
}

func internalProblem() problem {
	return problem{Status: sandbox.StatusInternalError, Message: genericInternal}
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
