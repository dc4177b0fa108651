package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// infoApp is an app logging JSON lines at info level into the buffer.
func infoApp(t *testing.T, svc Service, opts ...Option) (*fiber.App, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	return New(Config{}, svc, slog.New(slog.NewJSONHandler(&logs, nil)), opts...), &logs
}

func logLines(t *testing.T, logs *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		out = append(out, m)
	}
	return out
}

func TestRequestIDIsTakenOrMadeAndReturned(t *testing.T) {
	app, _ := infoApp(t, &fakeService{resp: okResponse()})
	r := do(t, app, "GET", "/healthz", nil, HeaderRequestID, "abc-123.x:y_z")
	assert.Equal(t, "abc-123.x:y_z", r.header.Get(HeaderRequestID), "a sane id is kept")

	made := do(t, app, "GET", "/healthz", nil).header.Get(HeaderRequestID)
	assert.Regexp(t, `^[0-9a-f]{32}$`, made, "an id is made when none is sent")
	again := do(t, app, "GET", "/healthz", nil).header.Get(HeaderRequestID)
	assert.NotEqual(t, made, again, "each request its own")

	for _, bad := range []string{"has space", "new\nline", strings.Repeat("a", 129), "quote\"", "é"} {
		got := do(t, app, "GET", "/healthz", nil, HeaderRequestID, bad).header.Get(HeaderRequestID)
		assert.Regexp(t, `^[0-9a-f]{32}$`, got, "%q is replaced", bad)
	}

	// A failure carries it in its body too.
	r = do(t, app, "POST", "/api/v1/execute", []byte(`{"seed":-1}`), fiber.HeaderContentType, fiber.MIMEApplicationJSON, HeaderRequestID, "req-7")
	require.Equal(t, http.StatusBadRequest, r.code)
	assert.Equal(t, "req-7", r.problem(t).RequestID)
	assert.Equal(t, "req-7", r.header.Get(HeaderRequestID))
}

// One info line per request, with what an operator needs and nothing of
// the stub, its args or its output.
func TestOneLogLinePerRequestWithoutTheProgram(t *testing.T) {
	exit := int32(0)
	resp := sandbox.Response{
		Status: outcome.StatusOK, Harness: "program", Seed: "1",
		Cache:   &sandbox.CacheReport{Result: cache.Miss, Module: cache.Disk},
		Compile: &sandbox.CompileReport{Success: true, Diagnostics: []outcome.Diagnostic{}, DurationMS: 1234, Stderr: "SECRET-DIAGNOSTIC"},
		Run:     &sandbox.RunReport{ExitCode: &exit, Stdout: "SECRET-STDOUT", Stderr: "SECRET-STDERR", DurationMS: 56},
	}
	app, logs := infoApp(t, &fakeService{resp: resp, harnesses: sandbox.HarnessInfos(harnesses.Default())})
	body := `{"harness":"program","stub":"fn main() { SECRET_STUB }","args":{"stdin":"SECRET-ARGS"}}`
	r := do(t, app, "POST", "/api/v1/execute", []byte(body), fiber.HeaderContentType, fiber.MIMEApplicationJSON, HeaderRequestID, "one")
	require.Equal(t, http.StatusOK, r.code)
	do(t, app, "POST", "/api/v1/execute", []byte(`{"harness":"program"`), fiber.HeaderContentType, fiber.MIMEApplicationJSON, HeaderRequestID, "two")
	do(t, app, "GET", "/nowhere", nil, HeaderRequestID, "three")

	assert.NotContains(t, logs.String(), "SECRET", "nothing of the program is logged at info level")
	lines := logLines(t, logs)
	require.Len(t, lines, 3, "one line per request: %s", logs)
	ok, bad, none := lines[0], lines[1], lines[2]
	assert.Equal(t, "one", ok["request_id"])
	assert.Equal(t, "/api/v1/execute", ok["route"])
	assert.EqualValues(t, 200, ok["code"])
	assert.Equal(t, "ok", ok["status"])
	assert.Equal(t, "program", ok["harness"])
	assert.Equal(t, "miss", ok["cache"])
	assert.Equal(t, "disk", ok["module_cache"])
	assert.EqualValues(t, 1234, ok["compile_ms"])
	assert.EqualValues(t, 56, ok["run_ms"])
	assert.Contains(t, ok, "ms")

	assert.Equal(t, "two", bad["request_id"])
	assert.EqualValues(t, 400, bad["code"])
	assert.Equal(t, StatusInvalidRequest, bad["status"])

	assert.Equal(t, "unmatched", none["route"], "an unrouted path is not a label value")
	assert.EqualValues(t, 404, none["code"])
}

// recorder is a Metrics that keeps what it was given.
type recorder struct {
	requests []string
	results  []string
}

func (r *recorder) Request(route, method string, code int, _ time.Duration) {
	r.requests = append(r.requests, method+" "+route+" "+http.StatusText(code))
}
func (r *recorder) Result(status, harness string) { r.results = append(r.results, status+" "+harness) }
func (r *recorder) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("# none\n")) })
}

// Metrics get route patterns, never the path sent.
func TestMetricsGetRoutePatterns(t *testing.T) {
	rec := &recorder{}
	svc := &fakeService{resp: okResponse(), harnesses: sandbox.HarnessInfos(harnesses.Default())}
	app, _ := infoApp(t, svc, WithMetrics(rec))
	do(t, app, "POST", "/api/v1/run/program?x=1", []byte("fn main(){}"))
	do(t, app, "POST", "/api/v1/run/hello%20there", []byte("fn main(){}")) // the fake accepts any harness
	do(t, app, "GET", "/no/such/path/12345", nil)
	do(t, app, "GET", "/metrics", nil)
	assert.Equal(t, []string{"POST /api/v1/run/:harness OK", "POST /api/v1/run/:harness OK", "GET unmatched Not Found", "GET /metrics OK"}, rec.requests)
	assert.Equal(t, []string{"ok program", "ok other"}, rec.results, "harness labels are the service's ids")
}

// rawMethods keeps the method strings it is given as they are, as the
// metrics' registry keeps label values.
type rawMethods struct {
	recorder
	mu      sync.Mutex
	methods []string
}

func (r *rawMethods) Request(_, method string, _ int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.methods = append(r.methods, method)
}

// A method label outlives its request: the next request on the same
// keep-alive connection must not change it (Fiber's c.Method() aliases a
// buffer that request overwrites; a registry holding it would then have
// two series of the same labels, and /metrics would fail).
func TestMetricsMethodLabelsOutliveTheirRequest(t *testing.T) {
	rec := &rawMethods{}
	svc := &fakeService{resp: okResponse(), harnesses: sandbox.HarnessInfos(harnesses.Default())}
	app, _ := infoApp(t, svc, WithMetrics(rec))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go app.Listener(ln)
	t.Cleanup(func() { app.Shutdown() })
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	base := "http://" + ln.Addr().String()
	r, err := client.Get(base + "/healthz")
	require.NoError(t, err)
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	r, err = client.Post(base+"/api/v1/run/program", "text/plain", strings.NewReader("fn main(){}"))
	require.NoError(t, err)
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, []string{"GET", "POST"}, rec.methods)
}
