package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/rocket-sandbox/rocket-sandbox/internal/budget"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/web"
)

// Service is what the HTTP API needs from the domain: run one request, and
// describe the harnesses a request may name.
type Service interface {
	// Execute compiles and runs req. A request the service refuses comes
	// back as a *sandbox.Error with its code; a program that fails to
	// compile or run is a Response, not an error.
	Execute(ctx context.Context, req sandbox.Request) (sandbox.Response, error)
	// ExecuteObserved is Execute, telling obs of the request's progress
	// (the streaming route).
	ExecuteObserved(ctx context.Context, req sandbox.Request, obs sandbox.Observer) (sandbox.Response, error)
	// ExecuteEncoded is Execute with the response as the bytes to send
	// (sandbox.EncodeResponse): a memoized one is sent as stored.
	ExecuteEncoded(ctx context.Context, req sandbox.Request) (sandbox.Encoded, error)
	Harnesses() []sandbox.HarnessInfo
	// Health says how the service is; "degraded" is still serving.
	Health() sandbox.Health
}

// Routes of the API; docs/api.md documents them.
const (
	routeExecute   = "/api/v1/execute"
	routeStream    = "/api/v1/execute/stream"
	routeRun       = "/api/v1/run/:harness"
	routeHarnesses = "/api/v1/harnesses"
	routeHealth    = "/healthz"
)

type server struct {
	cfg Config
	svc Service
	log *slog.Logger

	hosts     hostCheck
	origins   origins
	clients   *clients
	responses *budget.Bytes // of results being written
	metrics   Metrics       // nil: none recorded, no /metrics

	harnessOnce sync.Once
	harnessIDs  map[string]bool // the service's, for labels (harnessLabel)
}

// New returns the HTTP API as a Fiber app serving svc. Zero fields of cfg
// take their defaults; a nil log means slog.Default().
func New(cfg Config, svc Service, log *slog.Logger, opts ...Option) *fiber.App {
	_, app := build(cfg, svc, log, opts...)
	return app
}

// build is New, also returning the server behind the app.
func build(cfg Config, svc Service, log *slog.Logger, opts ...Option) (*server, *fiber.App) {
	if log == nil {
		log = slog.Default()
	}
	s := &server{cfg: cfg.withDefaults(), svc: svc, log: log}
	for _, o := range opts {
		o(s)
	}
	s.hosts = newHostCheck(s.cfg.AllowedHosts)
	s.origins = newOrigins(s.cfg.AllowedOrigins)
	s.clients = newClients(s.cfg, nil)
	s.responses = budget.New(s.cfg.MaxResponseBytesInFlight)
	app := fiber.New(fiber.Config{
		BodyLimit:             s.cfg.MaxBodyBytes,
		ReadBufferSize:        s.cfg.MaxHeaderBytes,
		ReadTimeout:           s.cfg.ReadTimeout(),
		WriteTimeout:          s.cfg.WriteTimeout(),
		IdleTimeout:           s.cfg.IdleTimeout(),
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
	})
	// The request's id, its log line and its metrics, around everything
	// else, errors included.
	app.Use(s.observe)
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	// Every route answers only for its hosts and its origins; the API
	// routes also know their client (/healthz needs no key).
	app.Use(s.guard)
	app.Use("/api", s.identify)
	s.handle(app, fiber.MethodPost, routeExecute, s.execute)
	s.handle(app, fiber.MethodPost, routeStream, s.stream)
	s.handle(app, fiber.MethodPost, routeRun, s.run)
	s.handle(app, fiber.MethodGet, routeHarnesses, s.harnesses)
	s.handle(app, fiber.MethodGet, routeHealth, s.health)
	s.serveMetrics(app)
	if err := s.serveContract(app); err != nil {
		panic(err) // the contract is built from static tables: a programming error
	}
	// The playground, the guide, the embed script and their assets.
	web.Register(app, web.Options{GuideDir: s.cfg.GuideDir})
	return s, app
}

// handle registers h for method on path, and a 405 with an Allow header for
// every other method there (Fiber's own 405 carries no Allow).
func (s *server) handle(app *fiber.App, method, path string, h fiber.Handler) {
	allow := method
	if method == fiber.MethodGet {
		app.Get(path, h)
		allow = "GET, HEAD"
	} else {
		app.Add(method, path, h)
	}
	app.All(path, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderAllow, allow)
		return sandbox.Errorf(sandbox.CodeNotAllowed, "", "method %s is not allowed here; use %s", c.Method(), method)
	})
}

// dispatch runs req through the service under the request deadline and
// writes the result: any Response is a 200, whatever became of the
// program; a refusal is an error, which the error handler answers. The
// deadline's context also ends when the client goes away, so the
// service can stop work nobody waits for.
func (s *server) dispatch(c *fiber.Ctx, req sandbox.Request) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout())
	defer cancel()
	ctx, stop, gone := watchClient(ctx, c.Context().Conn())
	defer stop()
	req.Client = clientOf(c)
	resp, err := s.svc.ExecuteEncoded(ctx, req)
	if err != nil {
		if _, coded := sandbox.AsError(err); !coded && gone() && errors.Is(err, context.Canceled) {
			// Nobody is there to read an answer.
			s.log.Debug("client went away", "method", c.Method(), "path", c.Path())
			c.Context().SetConnectionClose()
			return c.SendStatus(statusClientClosed)
		}
		return s.serviceError(err)
	}
	if !resp.Status.Valid() {
		return fmt.Errorf("execute: the service answered with status %q, which is not a result", resp.Status)
	}
	c.Locals(localResult, summarize(s.harnessLabel(req.Harness), resp))
	body := resp.Body
	// A result is held until the client has read it: bound those bytes,
	// and refuse (the result is memoized, a retry is cheap) rather than
	// hold more.
	if !s.responses.Take(int64(len(body))) {
		return &sandbox.Error{Code: sandbox.CodeOverloaded, RetryAfter: time.Second,
			Message: "the service is busy (too many bytes of results are being sent); retry shortly"}
	}
	c.Status(fiber.StatusOK)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Response().SetBodyStream(newHeldBody(body, s.responses), len(body))
	return nil
}

// serviceError is what the service's refusal err is answered with: a
// deadline is the request's timeout; a coded error stays as it is.
func (s *server) serviceError(err error) error {
	if _, coded := sandbox.AsError(err); !coded && errors.Is(err, context.DeadlineExceeded) {
		return &sandbox.Error{Code: sandbox.CodeTimeout, Err: err,
			Message: fmt.Sprintf("the request did not finish within %s", s.cfg.RequestTimeout())}
	}
	return fmt.Errorf("execute: %w", err)
}

// encodeResult is the body of a result: execute's, and the data of the
// streaming route's result event, byte for byte.
func encodeResult(resp sandbox.Response) ([]byte, error) {
	if !resp.Status.Valid() {
		return nil, fmt.Errorf("execute: the service answered with status %q, which is not a result", resp.Status)
	}
	return sandbox.EncodeResponse(resp)
}

// statusClientClosed is what a request whose client went away is logged
// with (nginx's 499); nobody reads it.
const statusClientClosed = 499

func (s *server) harnesses(c *fiber.Ctx) error {
	hs := s.svc.Harnesses()
	if hs == nil {
		hs = []sandbox.HarnessInfo{}
	}
	return writeJSON(c, fiber.StatusOK, struct {
		Harnesses []sandbox.HarnessInfo `json:"harnesses"`
	}{hs})
}

// health is 200 whenever the service serves: a degraded replica (its
// shared tier down) still answers every request, from its local tiers,
// so a load balancer must not take it out; the body says what is wrong.
func (s *server) health(c *fiber.Ctx) error {
	return writeJSON(c, fiber.StatusOK, s.svc.Health())
}

// writeJSON answers with v as JSON. HTML escaping is off so program output
// such as <html> stays readable; the encoder is deterministic, so the same
// value always gives the same bytes.
func writeJSON(c *fiber.Ctx, code int, v any) error {
	body, err := sandbox.EncodeJSON(v)
	if err != nil {
		return err
	}
	c.Status(code)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}
