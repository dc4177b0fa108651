package server

import (
	"context"
	"encoding/json"
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
	// ExecuteEncodedObserved is ExecuteEncoded, telling obs of the
	// request's progress (the streaming route).
	ExecuteEncodedObserved(ctx context.Context, req sandbox.Request, obs sandbox.Observer) (sandbox.Encoded, error)
	// Share stores a playground state and returns its id; Shared returns
	// the state stored under id as canonical JSON.
	Share(state sandbox.Request) (string, error)
	// Format formats a stub with rustfmt; Clippy checks a request with
	// clippy-driver. A stub they cannot format or check is an answer,
	// not an error.
	Format(ctx context.Context, req sandbox.FormatRequest) (sandbox.FormatResponse, error)
	Clippy(ctx context.Context, req sandbox.Request) (sandbox.ClippyResponse, error)
	Shared(id string) (json.RawMessage, error)
	// ExecuteEncoded is Execute with the response as the bytes to send
	// (sandbox.EncodeResponse): a memoized one is sent as stored.
	ExecuteEncoded(ctx context.Context, req sandbox.Request) (sandbox.Encoded, error)
	// Recall is the memoized answer under a result key that
	// ExecuteEncoded named (Encoded.Key), as ExecuteEncoded would answer
	// the request again; false when the memo no longer holds it.
	Recall(resultKey string) (sandbox.Encoded, bool)
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
	routeShares    = "/api/v1/shares"
	routeFormat    = "/api/v1/format"
	routeClippy    = "/api/v1/clippy"
	routeShare     = "/api/v1/shares/:id"
	routeEvaluate  = "/evaluate.json"
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
	recall    *recallIndex  // exact request bytes → result key

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
	s.recall = newRecallIndex(s.cfg.RecallBytes)
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
	app.Use(routeEvaluate, s.identify) // it runs code as execute does
	s.handle(app, fiber.MethodPost, routeExecute, s.execute)
	s.handle(app, fiber.MethodPost, routeStream, s.stream)
	s.handle(app, fiber.MethodPost, routeRun, s.run)
	s.handle(app, fiber.MethodGet, routeHarnesses, s.harnesses)
	s.handle(app, fiber.MethodPost, routeShares, s.share)
	s.handle(app, fiber.MethodPost, routeFormat, s.format)
	s.handle(app, fiber.MethodPost, routeClippy, s.clippy)
	s.handle(app, fiber.MethodGet, routeShare, s.shared)
	s.handle(app, fiber.MethodPost, routeEvaluate, s.evaluate)
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

// dispatch runs req through the service (call) and writes the result:
// any Response is a 200, whatever became of the program; a refusal is an
// error, which the error handler answers. The request's exact bytes
// (key) are indexed to the answer's result key (recall.go).
func (s *server) dispatch(c *fiber.Ctx, key wire, req sandbox.Request) error {
	req.Client = clientOf(c)
	resp, err := callService(s, c, func(ctx context.Context) (sandbox.Encoded, error) { return s.svc.ExecuteEncoded(ctx, req) })
	if errors.Is(err, errClientGone) {
		return s.clientGone(c)
	}
	if err != nil {
		return err
	}
	if err := checkResult(resp); err != nil {
		return err
	}
	harness := s.harnessLabel(req.Harness)
	if resp.Key != "" {
		s.recall.put(key, recalled{resultKey: resp.Key, harness: harness})
	}
	return s.answer(c, harness, resp)
}

// recalled answers a request from the memo by its exact bytes, if the
// recall index knows them and the memo still holds their answer; false:
// the request takes the full path.
func (s *server) recalled(c *fiber.Ctx, key wire) (bool, error) {
	r, ok := s.recall.get(key)
	if !ok {
		return false, nil
	}
	resp, ok := s.svc.Recall(r.resultKey)
	if !ok {
		return false, nil
	}
	if err := checkResult(resp); err != nil {
		return true, err
	}
	return true, s.answer(c, r.harness, resp)
}

// answer writes a result of the service for harness (a label: an id the
// service accepted, or "other") as a 200.
func (s *server) answer(c *fiber.Ctx, harness string, resp sandbox.Encoded) error {
	c.Locals(localResult, summarize(harness, resp))
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

// errClientGone is call's error when the client left before its answer.
var errClientGone = errors.New("the client went away")

// call runs req through the service under the request deadline. The
// deadline's context also ends when the client goes away, so the service
// can stop work nobody waits for; then the error is errClientGone.
func (s *server) call(c *fiber.Ctx, req sandbox.Request) (sandbox.Response, error) {
	req.Client = clientOf(c)
	return callService(s, c, func(ctx context.Context) (sandbox.Response, error) { return s.svc.Execute(ctx, req) })
}

// callService runs f under the request deadline, on a context that also
// ends when the client goes away (then the error is errClientGone).
func callService[T any](s *server, c *fiber.Ctx, f func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout())
	defer cancel()
	ctx, stop, gone := watchClient(ctx, c.Context().Conn())
	defer stop()
	resp, err := f(ctx)
	if err != nil {
		if _, coded := sandbox.AsError(err); !coded && gone() && errors.Is(err, context.Canceled) {
			return resp, errClientGone
		}
		return resp, s.serviceError(err)
	}
	return resp, nil
}

// clientGone answers a request whose client has gone: nobody is there to
// read an answer.
func (s *server) clientGone(c *fiber.Ctx) error {
	s.log.Debug("client went away", "method", c.Method(), "path", c.Path())
	c.Context().SetConnectionClose()
	return c.SendStatus(statusClientClosed)
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

// checkResult refuses an answer of the service whose status is not a
// result's: the service's bug, never sent as a 200.
func checkResult(enc sandbox.Encoded) error {
	if !enc.Status.Valid() {
		return fmt.Errorf("execute: the service answered with status %q, which is not a result", enc.Status)
	}
	return nil
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
