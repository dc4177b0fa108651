package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// Metrics is what the server records of each request and serves at
// /metrics; *metrics.Metrics implements it. Every value it is given
// comes from a fixed set: a route's pattern, a method Fiber routes, a
// status code, a result status and a harness id the service accepted.
type Metrics interface {
	Request(route, method string, code int, d time.Duration)
	Result(status, harness string)
	Handler() http.Handler
}

// Option changes how New builds the server.
type Option func(*server)

// WithMetrics records every request in m and serves m at /metrics.
func WithMetrics(m Metrics) Option { return func(s *server) { s.metrics = m } }

const (
	routeMetrics = "/metrics"

	// HeaderRequestID carries a request's id, in and out.
	HeaderRequestID = "X-Request-Id"
	// maxRequestID bounds an id a client sends; a longer one, or one with
	// other characters than idChar allows, is replaced.
	maxRequestID = 128

	localRequestID = "server.request_id"
	localResult    = "server.result"
)

// outcomeOf is what the request log says of a result: never the stub,
// its args or its output.
type resultSummary struct {
	status, harness  string
	resultTier       string
	moduleTier       string
	compileMS, runMS int64
	compiled, ran    bool
}

// memoHit says whether the answer came whole from a memo tier (memory,
// disk, Redis).
func (r resultSummary) memoHit() bool {
	return r.resultTier != "" && r.resultTier != string(cache.Miss)
}

// summarize is the log's view of an answer to a request for harness
// (an id the service accepted: it answered). Compile and run times are
// this request's work only: a memo hit did none.
func summarize(harness string, r sandbox.Encoded) resultSummary {
	s := resultSummary{status: string(r.Status), harness: harness,
		resultTier: string(r.Cache.Result), moduleTier: string(r.Cache.Module)}
	if r.Cache.Result == cache.Miss {
		s.compiled, s.compileMS = r.CompileMS >= 0, r.CompileMS
		s.ran, s.runMS = r.RunMS >= 0, r.RunMS
	}
	return s
}

// observe is the outermost middleware: it gives the request its id
// (the client's X-Request-Id if it is a sane one, else a new one),
// returns it in the response header and in an error body, answers any
// error through the error handler, and then writes the one log line of
// the request and records its metrics.
func (s *server) observe(c *fiber.Ctx) error {
	start := time.Now()
	id := requestID(c.Get(HeaderRequestID))
	c.Locals(localRequestID, id)
	c.Set(HeaderRequestID, id)
	if err := c.Next(); err != nil {
		if err := s.handleError(c, err); err != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	d := time.Since(start)
	code := c.Response().StatusCode()
	route := routeOf(c)
	r, isResult := c.Locals(localResult).(resultSummary)
	if s.metrics != nil {
		s.metrics.Request(route, methodLabel(c.Method()), code, d)
		if isResult {
			s.metrics.Result(r.status, r.harness)
		}
	}
	// A memo hit did no work, and the metrics count it: its line is at
	// debug unless log_memo_hits asks for it (formatting and writing the
	// line was a quarter of a hit's CPU; docs/performance.md).
	level := slog.LevelInfo
	if isResult && r.memoHit() && !s.cfg.LogMemoHits {
		level = slog.LevelDebug
	}
	ctx := c.UserContext()
	if !s.log.Enabled(ctx, level) {
		return nil
	}
	attrs := []slog.Attr{
		slog.String("request_id", id),
		slog.String("method", c.Method()),
		slog.String("route", route),
		slog.Int("code", code),
		slog.Float64("ms", float64(d.Microseconds())/1000),
	}
	if isResult {
		attrs = append(attrs, slog.String("status", r.status), slog.String("harness", r.harness),
			slog.String("cache", r.resultTier))
		if r.moduleTier != "" {
			attrs = append(attrs, slog.String("module_cache", r.moduleTier))
		}
		if r.compiled {
			attrs = append(attrs, slog.Int64("compile_ms", r.compileMS))
		}
		if r.ran {
			attrs = append(attrs, slog.Int64("run_ms", r.runMS))
		}
	} else if p, ok := c.Locals(localProblem).(string); ok {
		attrs = append(attrs, slog.String("status", p))
	}
	s.log.LogAttrs(ctx, level, "request", attrs...)
	return nil
}

// methodLabel is method as a label value that outlives the request:
// Fiber's c.Method() aliases fasthttp's request buffer, which the next
// request on the connection overwrites, so a label kept by the metrics'
// registry would change under it (a "GET" series becoming a second
// "POST" one: /metrics then failed with duplicate series after a
// benchmark). The standard methods are constants; any other is "other".
func methodLabel(method string) string {
	for _, m := range []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete,
		fiber.MethodConnect, fiber.MethodOptions, fiber.MethodTrace, fiber.MethodPatch} {
		if method == m {
			return m
		}
	}
	return "other"
}

// harnessLabel is id if it names one of the service's harnesses, else
// "other": a label value never comes from what a request says.
func (s *server) harnessLabel(id string) string {
	s.harnessOnce.Do(func() {
		s.harnessIDs = map[string]bool{}
		for _, h := range s.svc.Harnesses() {
			s.harnessIDs[h.ID] = true
		}
	})
	if s.harnessIDs[id] {
		return id
	}
	return "other"
}

// routeOf is the pattern of the route that answered, or "unmatched" when
// only middleware did (no route, a refused host, a CORS preflight).
// Fiber reports the last route it tried, middleware included, and
// middleware sits on "/" and "/api": so a pattern counts only if it is
// one of the contract's, and "/" only for the path "/".
func routeOf(c *fiber.Ctx) string {
	r := c.Route()
	if r == nil || !contractPaths[r.Path] || (r.Path == "/" && c.Path() != "/") {
		return "unmatched"
	}
	return r.Path
}

// contractPaths are the route patterns of the contract.
var contractPaths = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range contractRoutes() {
		m[r.Path] = true
	}
	return m
}()

// requestID is the client's id if it is a plausible one (1–128 of
// letters, digits and ._:-), else a fresh random one: an id lands in
// logs and headers, so it must not carry anything else.
func requestID(sent string) string {
	if ok := len(sent) > 0 && len(sent) <= maxRequestID; ok {
		for i := 0; i < len(sent) && ok; i++ {
			ok = idChar(sent[i])
		}
		if ok {
			return sent
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

func idChar(ch byte) bool {
	return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
		ch == '.' || ch == '_' || ch == ':' || ch == '-'
}

// requestIDOf is the id observe gave c.
func requestIDOf(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// serveMetrics registers /metrics, when the server has metrics.
func (s *server) serveMetrics(app *fiber.App) {
	if s.metrics == nil {
		return
	}
	s.handle(app, fiber.MethodGet, routeMetrics, adaptor.HTTPHandler(s.metrics.Handler()))
}
