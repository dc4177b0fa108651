package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// fakeService checks each request as the real service does
// (sandbox.Request.Validate, with stubLimit or the default limit), records
// the ones it accepts, and answers them as configured.
type fakeService struct {
	mu        sync.Mutex
	stubLimit int
	resp      sandbox.Response
	err       error
	panicWith any
	harnesses []sandbox.HarnessInfo
	health    sandbox.Health
	calls     []sandbox.Request
	deadlines []time.Duration // time left on each call's context
}

func (f *fakeService) Execute(ctx context.Context, req sandbox.Request) (sandbox.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	limit := f.stubLimit
	if limit == 0 {
		limit = sandbox.DefaultMaxStubBytes
	}
	if err := req.Validate(limit); err != nil {
		return sandbox.Response{}, err
	}
	f.calls = append(f.calls, req)
	if d, ok := ctx.Deadline(); ok {
		f.deadlines = append(f.deadlines, time.Until(d))
	} else {
		f.deadlines = append(f.deadlines, -1)
	}
	if f.panicWith != nil {
		panic(f.panicWith)
	}
	return f.resp, f.err
}

func (f *fakeService) ExecuteEncodedObserved(ctx context.Context, req sandbox.Request, _ sandbox.Observer) (sandbox.Encoded, error) {
	return encoded(f.Execute(ctx, req))
}

func (f *fakeService) ExecuteEncoded(ctx context.Context, req sandbox.Request) (sandbox.Encoded, error) {
	return encoded(f.Execute(ctx, req))
}

// Recall finds nothing: the fake memoizes nothing (memoService does).
func (f *fakeService) Recall(string) (sandbox.Encoded, bool) { return sandbox.Encoded{}, false }

// encoded is what ExecuteEncoded answers for what Execute did.
func encoded(resp sandbox.Response, err error) (sandbox.Encoded, error) {
	if err != nil {
		return sandbox.Encoded{}, err
	}
	return sandbox.EncodeAnswer(resp)
}

func (f *fakeService) Share(sandbox.Request) (string, error) { return "", errors.New("no shares here") }

func (f *fakeService) Shared(string) (json.RawMessage, error) {
	return nil, errors.New("no shares here")
}

func (f *fakeService) Format(context.Context, sandbox.FormatRequest) (sandbox.FormatResponse, error) {
	return sandbox.FormatResponse{}, errors.New("no rustfmt here")
}

func (f *fakeService) Clippy(context.Context, sandbox.Request) (sandbox.ClippyResponse, error) {
	return sandbox.ClippyResponse{}, errors.New("no clippy here")
}

func (f *fakeService) Harnesses() []sandbox.HarnessInfo { return f.harnesses }

func (f *fakeService) Health() sandbox.Health {
	if f.health.Status == "" {
		return sandbox.Health{Status: "ok"}
	}
	return f.health
}

// lastCall returns the only request the service saw, failing otherwise.
func (f *fakeService) lastCall(t *testing.T) sandbox.Request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.calls, 1, "service calls")
	return f.calls[0]
}

func (f *fakeService) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func okResponse() sandbox.Response {
	exit := int32(0)
	return sandbox.Response{
		Status:  outcome.StatusOK,
		Harness: "hello",
		Seed:    "42",
		Compile: &sandbox.CompileReport{Success: true, Diagnostics: []outcome.Diagnostic{}, DurationMS: 1200},
		Run: &sandbox.RunReport{
			ExitCode: &exit,
			Stdout:   "<html>&amp;</html>\n",
			Result:   json.RawMessage(`{"responses":[{"status":200}]}`),
		},
	}
}

// testApp builds the app over svc with cfg, logging into the returned buffer.
func testApp(t *testing.T, svc Service, cfg Config) (*fiber.App, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return New(cfg, svc, log), &logs
}

type result struct {
	code   int
	header http.Header
	body   []byte
}

// do sends one request through app.Test; headers are name, value pairs.
func do(t *testing.T, app *fiber.App, method, target string, body []byte, headers ...string) result {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	// A host the default configuration answers for; a "Host" pair
	// replaces it.
	req.Host = "localhost"
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == fiber.HeaderHost {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return result{code: resp.StatusCode, header: resp.Header, body: b}
}

// postJSON posts body to the execute route as application/json.
func postJSON(t *testing.T, app *fiber.App, body string) result {
	t.Helper()
	return do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(body), fiber.HeaderContentType, fiber.MIMEApplicationJSON)
}

// problem decodes r as the error shape, strictly, and checks the basics
// every failure shares.
func (r result) problem(t *testing.T) Problem {
	t.Helper()
	assert.Equal(t, fiber.MIMEApplicationJSON, r.header.Get(fiber.HeaderContentType))
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	var p Problem
	require.NoError(t, dec.Decode(&p), "body %s", r.body)
	assert.NotEmpty(t, p.Message, "error message")
	return p
}

// assertProblem checks the HTTP code, status and field of a failure.
func assertProblem(t *testing.T, r result, code int, status, field string) Problem {
	t.Helper()
	assert.Equal(t, code, r.code, "HTTP status; body %s", r.body)
	p := r.problem(t)
	assert.Equal(t, status, p.Status, "status")
	assert.Equal(t, field, p.Field, "field")
	return p
}

func TestHealthz(t *testing.T) {
	app, _ := testApp(t, &fakeService{}, Config{})
	r := do(t, app, fiber.MethodGet, "/healthz", nil)
	assert.Equal(t, fiber.StatusOK, r.code)
	assert.Equal(t, fiber.MIMEApplicationJSON, r.header.Get(fiber.HeaderContentType))
	assert.JSONEq(t, `{"status":"ok"}`, string(r.body))

	// A replica whose shared tier is down still serves: 200, and says so.
	app, _ = testApp(t, &fakeService{health: sandbox.Health{Status: "degraded", Redis: "down"}}, Config{})
	r = do(t, app, fiber.MethodGet, "/healthz", nil)
	assert.Equal(t, fiber.StatusOK, r.code)
	assert.JSONEq(t, `{"status":"degraded","redis":"down"}`, string(r.body))
}

func TestHarnesses(t *testing.T) {
	svc := &fakeService{harnesses: []sandbox.HarnessInfo{{
		ID:          "hello",
		Description: "says <hello>",
		ArgsSchema:  json.RawMessage(`{"type":"object"}`),
		Example:     json.RawMessage(`{"harness":"hello","stub":"fn main() {}"}`),
	}}}
	app, _ := testApp(t, svc, Config{})
	r := do(t, app, fiber.MethodGet, "/api/v1/harnesses", nil)
	assert.Equal(t, fiber.StatusOK, r.code)
	assert.Equal(t, fiber.MIMEApplicationJSON, r.header.Get(fiber.HeaderContentType))
	assert.Equal(t, `{"harnesses":[{"id":"hello","description":"says <hello>","args_schema":{"type":"object"},`+
		`"example":{"harness":"hello","stub":"fn main() {}"}}]}`+"\n", string(r.body))
}

func TestHarnessesNoneIsEmptyList(t *testing.T) {
	app, _ := testApp(t, &fakeService{}, Config{})
	r := do(t, app, fiber.MethodGet, "/api/v1/harnesses", nil)
	assert.Equal(t, fiber.StatusOK, r.code)
	assert.Equal(t, `{"harnesses":[]}`+"\n", string(r.body))
}

func TestUnknownRouteIs404JSON(t *testing.T) {
	app, _ := testApp(t, &fakeService{}, Config{})
	for _, target := range []string{"/nope", "/api/v1/nope", "/api/v2/execute", "/api/v1/run"} {
		r := do(t, app, fiber.MethodGet, target, nil)
		p := assertProblem(t, r, fiber.StatusNotFound, StatusInvalidRequest, "")
		assert.Contains(t, p.Message, target)
	}
}

func TestWrongMethodIs405JSON(t *testing.T) {
	svc := &fakeService{}
	app, _ := testApp(t, svc, Config{})
	cases := []struct{ method, target, allow string }{
		{fiber.MethodGet, "/api/v1/execute", "POST"},
		{fiber.MethodPut, "/api/v1/execute", "POST"},
		{fiber.MethodDelete, "/api/v1/run/hello", "POST"},
		{fiber.MethodPost, "/api/v1/harnesses", "GET, HEAD"},
		{fiber.MethodPost, "/healthz", "GET, HEAD"},
	}
	for _, tc := range cases {
		t.Run(tc.method+tc.target, func(t *testing.T) {
			r := do(t, app, tc.method, tc.target, nil)
			p := assertProblem(t, r, fiber.StatusMethodNotAllowed, StatusInvalidRequest, "")
			assert.Equal(t, tc.allow, r.header.Get(fiber.HeaderAllow))
			assert.Contains(t, p.Message, tc.method)
		})
	}
	assert.Zero(t, svc.callCount())
}

func TestServicePanicIs500WithGenericMessage(t *testing.T) {
	for name, v := range map[string]any{
		"string":        "secret panic detail /etc/passwd",
		"error":         errors.New("secret panic detail /etc/passwd"),
		"sandbox error": sandbox.Invalid("stub", "secret panic detail /etc/passwd"),
		"fiber error":   fiber.NewError(fiber.StatusNotFound, "secret panic detail /etc/passwd"),
	} {
		t.Run(name, func(t *testing.T) {
			app, logs := testApp(t, &fakeService{panicWith: v}, Config{})
			r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}"}`)
			p := assertProblem(t, r, fiber.StatusInternalServerError, StatusInternalError, "")
			assert.Equal(t, genericInternal, p.Message)
			assert.NotContains(t, string(r.body), "secret")
			assert.Contains(t, logs.String(), "secret panic detail", "the panic is logged")
			assert.Contains(t, logs.String(), "handler panicked")
		})
	}
}

func TestInternalErrorDoesNotLeak(t *testing.T) {
	cases := map[string]error{
		"plain":           errors.New("open /var/lib/secret-cache: permission denied"),
		"sandbox":         &sandbox.Error{Code: sandbox.CodeInternal, Message: "cargo at /opt/secret-toolchain failed"},
		"wrapped sandbox": &sandbox.Error{Code: sandbox.CodeInternal, Message: "compile", Err: errors.New("secret-toolchain")},
		"unknown code":    &sandbox.Error{Code: "compile_error", Message: "secret-toolchain said no"},
	}
	for name, err := range cases {
		t.Run(name, func(t *testing.T) {
			app, logs := testApp(t, &fakeService{err: err}, Config{})
			r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}"}`)
			p := assertProblem(t, r, fiber.StatusInternalServerError, StatusInternalError, "")
			assert.Equal(t, genericInternal, p.Message)
			assert.NotContains(t, string(r.body), "secret")
			assert.Contains(t, logs.String(), "secret", "the full error is logged")
		})
	}
}

func TestUnknownHarnessIs404(t *testing.T) {
	svc := &fakeService{err: fmt.Errorf("lookup: %w", sandbox.Errorf(sandbox.CodeNotFound, "harness", `unknown harness "nope"`))}
	app, _ := testApp(t, svc, Config{})
	r := postJSON(t, app, `{"harness":"nope","stub":"fn main() {}"}`)
	p := assertProblem(t, r, fiber.StatusNotFound, StatusInvalidRequest, "harness")
	assert.Equal(t, `unknown harness "nope"`, p.Message)

	r = do(t, app, fiber.MethodPost, "/api/v1/run/nope", []byte("fn main() {}"))
	assertProblem(t, r, fiber.StatusNotFound, StatusInvalidRequest, "harness")
}

func TestServiceInvalidRequestIs400(t *testing.T) {
	svc := &fakeService{err: sandbox.Invalid("args", "args.requests[0].method must be GET or POST")}
	app, _ := testApp(t, svc, Config{})
	r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}","args":{"requests":[{"method":"PATCH"}]}}`)
	p := assertProblem(t, r, fiber.StatusBadRequest, StatusInvalidRequest, "args")
	assert.Equal(t, "args.requests[0].method must be GET or POST", p.Message)
}

func TestOverloadedIs503WithRetryAfter(t *testing.T) {
	svc := &fakeService{err: &sandbox.Error{Code: sandbox.CodeOverloaded, Message: "too many jobs in flight"}}
	app, _ := testApp(t, svc, Config{})
	r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}"}`)
	p := assertProblem(t, r, fiber.StatusServiceUnavailable, StatusOverloaded, "")
	assert.Equal(t, "too many jobs in flight", p.Message)
	assert.Equal(t, "1", r.header.Get(fiber.HeaderRetryAfter))

	r = do(t, app, fiber.MethodPost, "/api/v1/run/hello", []byte("fn main() {}"))
	assertProblem(t, r, fiber.StatusServiceUnavailable, StatusOverloaded, "")
	assert.Equal(t, "1", r.header.Get(fiber.HeaderRetryAfter))
}

func TestRetryAfterOnlyWhenOverloaded(t *testing.T) {
	app, _ := testApp(t, &fakeService{err: errors.New("boom")}, Config{})
	r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}"}`)
	assert.Equal(t, fiber.StatusInternalServerError, r.code)
	assert.Empty(t, r.header.Get(fiber.HeaderRetryAfter))
}

func TestServiceDeadlineIs504(t *testing.T) {
	app, _ := testApp(t, &fakeService{err: context.DeadlineExceeded}, Config{RequestTimeoutMS: 7000})
	r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}"}`)
	p := assertProblem(t, r, fiber.StatusGatewayTimeout, StatusTimeout, "")
	assert.Contains(t, p.Message, "7s")
}

func TestServiceGetsRequestTimeout(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{RequestTimeoutMS: 5000})
	r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}"}`)
	require.Equal(t, fiber.StatusOK, r.code)
	require.Len(t, svc.deadlines, 1)
	assert.Greater(t, svc.deadlines[0], 4*time.Second)
	assert.LessOrEqual(t, svc.deadlines[0], 5*time.Second)
}

func TestResultStatusesAre200(t *testing.T) {
	for _, st := range []outcome.Status{
		outcome.StatusOK, outcome.StatusCompileError, outcome.StatusRuntimeError,
		outcome.StatusTimeout, outcome.StatusMemoryLimit, outcome.StatusOutputLimit,
	} {
		t.Run(string(st), func(t *testing.T) {
			resp := okResponse()
			resp.Status = st
			app, _ := testApp(t, &fakeService{resp: resp}, Config{})
			r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}"}`)
			assert.Equal(t, fiber.StatusOK, r.code)
			var got sandbox.Response
			require.NoError(t, json.Unmarshal(r.body, &got))
			assert.Equal(t, st, got.Status)
		})
	}
}

// TestResponseWithoutAResultStatusIs500: a failure is an error, never a
// Response, so a Response whose status is not a result status is the
// service's bug.
func TestResponseWithoutAResultStatusIs500(t *testing.T) {
	for _, st := range []outcome.Status{"", "made_up", StatusInvalidRequest, StatusOverloaded, StatusInternalError} {
		t.Run(string(st), func(t *testing.T) {
			app, logs := testApp(t, &fakeService{resp: sandbox.Response{Status: st}}, Config{})
			r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}"}`)
			assertProblem(t, r, fiber.StatusInternalServerError, StatusInternalError, "")
			assert.Contains(t, logs.String(), "not a result")
		})
	}
}

func TestUnencodableResponseIs500(t *testing.T) {
	resp := okResponse()
	resp.Run.Result = json.RawMessage(`{not json`)
	app, logs := testApp(t, &fakeService{resp: resp}, Config{})
	r := postJSON(t, app, `{"harness":"hello","stub":"fn main() {}"}`)
	assertProblem(t, r, fiber.StatusInternalServerError, StatusInternalError, "")
	assert.Contains(t, logs.String(), "encode response")
}

func TestDefaultConfig(t *testing.T) {
	d := DefaultConfig()
	assert.Equal(t, 1<<20, d.MaxBodyBytes)
	assert.Equal(t, 8<<10, d.MaxHeaderBytes)
	assert.Equal(t, 90*time.Second, d.RequestTimeout())
	assert.Equal(t, 120*time.Second, d.WriteTimeout())
	assert.Equal(t, 30*time.Second, d.ReadTimeout())
	assert.Equal(t, 120*time.Second, d.IdleTimeout())
	assert.Equal(t, 5*time.Second, d.StreamHeartbeat())
	assert.Equal(t, d, Config{}.withDefaults(), "zero fields take the defaults")
	assert.NoError(t, d.Validate())
	assert.EqualValues(t, 256<<20, d.MaxResponseBytesInFlight)
	assert.Equal(t, 8<<20, d.RecallBytes)
	assert.Empty(t, d.AllowedHosts, "loopback names, or what the loader derives from listen")
	assert.Empty(t, d.AllowedOrigins, "no web page may call the API")
	custom := Config{MaxBodyBytes: 10, MaxHeaderBytes: 6, ReadTimeoutMS: 1, WriteTimeoutMS: 2, IdleTimeoutMS: 3, RequestTimeoutMS: 4, MaxResponseBytesInFlight: 5, StreamHeartbeatMS: 7, RecallBytes: 8, GuideDir: "book"}
	assert.Equal(t, custom, custom.withDefaults(), "set fields are kept")
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		key string
		mut func(*Config)
	}{
		{"max_body_bytes", func(c *Config) { c.MaxBodyBytes = 0 }},
		{"max_body_bytes", func(c *Config) { c.MaxBodyBytes = 1<<30 + 1 }},
		{"max_header_bytes", func(c *Config) { c.MaxHeaderBytes = 1023 }},
		{"max_header_bytes", func(c *Config) { c.MaxHeaderBytes = 1<<20 + 1 }},
		{"read_timeout_ms", func(c *Config) { c.ReadTimeoutMS = -1 }},
		{"write_timeout_ms", func(c *Config) { c.WriteTimeoutMS = 0 }},
		{"idle_timeout_ms", func(c *Config) { c.IdleTimeoutMS = 3_600_001 }},
		{"request_timeout_ms", func(c *Config) { c.RequestTimeoutMS = -5 }},
		{"stream_heartbeat_ms", func(c *Config) { c.StreamHeartbeatMS = 9 }},
		{"max_response_bytes_in_flight", func(c *Config) { c.MaxResponseBytesInFlight = 1000 }},
		{"recall_bytes", func(c *Config) { c.RecallBytes = 1000 }},
		{"recall_bytes", func(c *Config) { c.RecallBytes = 1<<30 + 1 }},
		{"allowed_hosts[1]", func(c *Config) { c.AllowedHosts = []string{"localhost", "http://localhost"} }},
		{"allowed_hosts[0]", func(c *Config) { c.AllowedHosts = []string{"localhost:99999"} }},
		{"allowed_hosts[0]", func(c *Config) { c.AllowedHosts = []string{"::1"} }},
		{"allowed_origins[0]", func(c *Config) { c.AllowedOrigins = []string{"https://docs.example.org/"} }},
		{"allowed_origins[0]", func(c *Config) { c.AllowedOrigins = []string{"docs.example.org"} }},
		{"allowed_origins[0]", func(c *Config) { c.AllowedOrigins = []string{"https://Docs.example.org"} }},
		{"trusted_proxies[0]", func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/33"} }},
		{"api_keys[0].name", func(c *Config) { c.APIKeys = []APIKey{{TokenSHA256: digest("a")}} }},
		{"api_keys[1].name", func(c *Config) {
			c.APIKeys = []APIKey{{Name: "a", TokenSHA256: digest("a")}, {Name: "a", TokenSHA256: digest("b")}}
		}},
		{"api_keys[0].token_sha256", func(c *Config) { c.APIKeys = []APIKey{{Name: "a", TokenSHA256: "secret"}} }},
		{"api_keys[1].token_sha256", func(c *Config) {
			c.APIKeys = []APIKey{{Name: "a", TokenSHA256: digest("a")}, {Name: "b", TokenSHA256: digest("a")}}
		}},
		{"api_keys[0].rate_per_minute", func(c *Config) { c.APIKeys = []APIKey{{Name: "a", TokenSHA256: digest("a"), RatePerMinute: -1}} }},
		{"require_api_key", func(c *Config) { c.RequireAPIKey = true }},
	} {
		c := DefaultConfig()
		tc.mut(&c)
		assert.ErrorContains(t, c.Validate(), tc.key+": ", "%+v", c)
	}
}

// TestStubOverTheServiceLimitIs413: the service's stub limit (here the
// default, see fakeService) is answered 413 with the field; the server
// has no stub limit of its own.
func TestStubOverTheServiceLimitIs413(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	stub := strings.Repeat("a", sandbox.DefaultMaxStubBytes)
	r := do(t, app, fiber.MethodPost, "/api/v1/run/hello", []byte(stub))
	assert.Equal(t, fiber.StatusOK, r.code, "exactly the limit is allowed")
	r = do(t, app, fiber.MethodPost, "/api/v1/run/hello", []byte(stub+"a"))
	assertProblem(t, r, fiber.StatusRequestEntityTooLarge, StatusInvalidRequest, "stub")
}

func TestEveryCodeHasAnHTTPStatus(t *testing.T) {
	for _, c := range []struct {
		code   sandbox.Code
		http   int
		status string
	}{
		{sandbox.CodeInvalid, 400, StatusInvalidRequest},
		{sandbox.CodeNotFound, 404, StatusInvalidRequest},
		{sandbox.CodeMissing, 404, StatusNotFound},
		{sandbox.CodeNotAllowed, 405, StatusInvalidRequest},
		{sandbox.CodeTooLarge, 413, StatusInvalidRequest},
		{sandbox.CodeUnsupported, 415, StatusInvalidRequest},
		{sandbox.CodeUnauthorized, 401, StatusInvalidRequest},
		{sandbox.CodeForbidden, 403, StatusInvalidRequest},
		{sandbox.CodeMisdirected, 421, StatusInvalidRequest},
		{sandbox.CodeRateLimited, 429, StatusRateLimited},
		{sandbox.CodeOverloaded, 503, StatusOverloaded},
		{sandbox.CodeTimeout, 504, StatusTimeout},
		{sandbox.CodeInternal, 500, StatusInternalError},
	} {
		code, p := ProblemOf(fmt.Errorf("wrapped: %w", sandbox.Errorf(c.code, "f", "why")))
		assert.Equal(t, c.http, code, c.code)
		assert.Equal(t, c.status, p.Status, c.code)
		if c.code != sandbox.CodeInternal {
			assert.Equal(t, Problem{Status: c.status, Message: "why", Field: "f"}, p, c.code)
		}
	}
	assert.Len(t, failures, 13, "a new code gets a row here too")
}
