package e2e

// End-to-end tests of the example and mock harnesses: real Rocket
// programs from testdata/harness, compiled by the jailed rustc, run in
// wazero, through the HTTP server (see e2e_test.go for the set-up).

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// verdictOf is the example harness's verdict in r.
func verdictOf(t *testing.T, r sandbox.Response) harnesses.ExampleVerdict {
	t.Helper()
	require.NotEmpty(t, r.Result, "the example harness gives a verdict")
	var v harnesses.ExampleVerdict
	require.NoError(t, json.Unmarshal(r.Result, &v), "%s", r.Result)
	return v
}

// mockResultOf is the mock harness's run.result in r.
func mockResultOf(t *testing.T, r sandbox.Response) mockResult {
	t.Helper()
	require.NotNil(t, r.Run, "%+v", r.Compile)
	require.NotEmpty(t, r.Run.Result)
	var m mockResult
	require.NoError(t, json.Unmarshal(r.Run.Result, &m), "%s", r.Run.Result)
	return m
}

// mockResult is the mock harness's run.result as clients read it.
type mockResult struct {
	Responses []struct {
		Status       int               `json:"status"`
		Reason       string            `json:"reason"`
		Headers      map[string]string `json:"headers"`
		Body         string            `json:"body"`
		BodyEncoding string            `json:"body_encoding"`
		Error        string            `json:"error"`
	} `json:"responses"`
	Log   string `json:"log"`
	Error string `json:"error"`
}

func readHarnessdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "harness", name))
	require.NoError(t, err)
	return string(b)
}

// stubLineOf is the 1-based line of the stub that contains text.
func stubLineOf(t *testing.T, stub, text string) int {
	t.Helper()
	for i, l := range strings.Split(stub, "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%q is not in the stub", text)
	return 0
}

// runHarness posts to /api/v1/execute and expects 200.
func runHarness(t *testing.T, harness, stub string, args map[string]any) sandbox.Response {
	t.Helper()
	r, _ := execute(t, map[string]any{"harness": harness, "stub": stub, "args": args})
	return r
}

// curlHarness posts the stub as the body of the curl route and expects
// 200.
func curlHarness(t *testing.T, pathAndQuery, stub string) sandbox.Response {
	t.Helper()
	code, raw := post(t, pathAndQuery, "text/plain", []byte(stub))
	require.Equal(t, http.StatusOK, code, "%s", raw)
	return decodeResponse(t, raw)
}

// curlRefused posts the stub as the body of the curl route and expects
// a failure.
func curlRefused(t *testing.T, pathAndQuery, stub string) (int, server.Problem) {
	t.Helper()
	code, raw := post(t, pathAndQuery, "text/plain", []byte(stub))
	require.NotEqual(t, http.StatusOK, code, "%s", raw)
	return code, decodeProblem(t, raw)
}

// TestExampleRunsADoctestAsRustdocDoes: a guide-style block with hidden
// lines, a hoisted `#[macro_use] extern crate`, `#[launch]`, `?` and a
// final `Ok(())` is wrapped in fn main, compiled and run; its hidden
// asserts exercise route and query parameters, a form, a JSON body,
// managed state, a fairing and a 404 catcher.
func TestExampleRunsADoctestAsRustdocDoes(t *testing.T) {
	r := runHarness(t, "example", readHarnessdata(t, "example_app.rs"), map[string]any{"attrs": "rust"})
	require.Equal(t, outcome.StatusOK, r.Status, "%+v", r.Compile)
	assert.Equal(t, "passed", verdictOf(t, r).Outcome)
	require.NotNil(t, r.Run)
	assert.Contains(t, r.Run.Stdout, "hello: Hello, Ferris!\n", "route and query parameters")
	assert.Contains(t, r.Run.Stdout, "signup: Ferris (7)\n", "a form")
	assert.Contains(t, r.Run.Stdout, "sum: 42\n", "a JSON body")
	assert.Contains(t, r.Run.Stdout, "visits: 1\n", "managed state")
	assert.Contains(t, r.Run.Stdout, "missing: 404 no such page\n", "the 404 catcher")
	for _, d := range r.Compile.Diagnostics {
		assert.NotEqual(t, "error", d.Level, d.Message)
	}
}

// TestExampleShouldPanic: a panicking block passes only with should_panic;
// either way the status says what happened and the panic points at the
// stub's line.
func TestExampleShouldPanic(t *testing.T) {
	stub := readHarnessdata(t, "example_panic.rs")
	panicLine := stubLineOf(t, stub, ".expect(")

	r := runHarness(t, "example", stub, map[string]any{"attrs": "rust,should_panic"})
	assert.Equal(t, outcome.StatusRuntimeError, r.Status, "the program did panic")
	v := verdictOf(t, r)
	assert.Equal(t, "passed", v.Outcome, v.Reason)
	require.NotNil(t, r.Run)
	assert.Contains(t, r.Run.Stderr, "999 is not an HTTP status")
	assert.Regexp(t, `panicked at main\.rs:`+strconv.Itoa(panicLine)+`:\d+:`, r.Run.Stderr, "the panic is located in the stub's numbering")

	r = runHarness(t, "example", stub, nil)
	assert.Equal(t, outcome.StatusRuntimeError, r.Status)
	v = verdictOf(t, r)
	assert.Equal(t, "failed", v.Outcome)
	assert.Contains(t, v.Reason, "panicked")

	// should_panic on a block that completes fails.
	r = runHarness(t, "example", "let x = 1 + 1;\nassert_eq!(x, 2);\n", map[string]any{"attrs": []string{"should_panic"}})
	assert.Equal(t, outcome.StatusOK, r.Status)
	v = verdictOf(t, r)
	assert.Equal(t, "failed", v.Outcome)
	assert.Contains(t, v.Reason, "should_panic")
}

// TestExampleCompileFailAndStubLineDiagnostics: a type error on stub
// line 3, under a hoisted crate attribute and a hidden `use`, is
// reported on line 3 (structured and rendered); compile_fail with the
// right error code passes, with another code or without compile_fail it
// fails.
func TestExampleCompileFailAndStubLineDiagnostics(t *testing.T) {
	stub := readHarnessdata(t, "example_compile_fail.rs")
	require.Equal(t, "let code: u16 = Status::NotFound;", strings.Split(stub, "\n")[2])

	r := runHarness(t, "example", stub, map[string]any{"attrs": "compile_fail,E0308"})
	assert.Equal(t, outcome.StatusCompileError, r.Status)
	assert.Nil(t, r.Run, "compile_fail never runs")
	v := verdictOf(t, r)
	assert.Equal(t, "passed", v.Outcome, v.Reason)
	require.NotNil(t, r.Compile)
	require.NotEmpty(t, r.Compile.Diagnostics)
	d := r.Compile.Diagnostics[0]
	assert.Equal(t, "error", d.Level)
	assert.Equal(t, "mismatched types", d.Message)
	assert.Equal(t, 3, d.Line, "the error is on line 3 of the stub")
	assert.Equal(t, 17, d.Column)
	assert.Contains(t, r.Compile.Stderr, "--> main.rs:3:17\n")
	assert.Contains(t, r.Compile.Stderr, "\n3 | let code: u16 = Status::NotFound;\n")

	r = runHarness(t, "example", stub, map[string]any{"attrs": "compile_fail,E0277"})
	v = verdictOf(t, r)
	assert.Equal(t, "failed", v.Outcome)
	assert.Contains(t, v.Reason, "E0277")

	r = runHarness(t, "example", stub, nil)
	assert.Equal(t, outcome.StatusCompileError, r.Status)
	assert.Equal(t, "failed", verdictOf(t, r).Outcome)
}

// TestExampleCurlRouteNoRunIgnoreAndArgs: the curl route with attrs in the
// query. no_run compiles a block that would never finish and does not
// run it; ignore and another language compile nothing; bad args are
// refused before compiling.
func TestExampleCurlRouteNoRunIgnoreAndArgs(t *testing.T) {
	stub := readHarnessdata(t, "example_no_run.rs")
	r := curlHarness(t, "/api/v1/run/example?attrs=rust,no_run", stub)
	assert.Equal(t, outcome.StatusOK, r.Status)
	require.NotNil(t, r.Compile)
	assert.True(t, r.Compile.Success)
	assert.Nil(t, r.Run, "no_run: not run")
	assert.Equal(t, "passed", verdictOf(t, r).Outcome)

	for _, q := range []string{"attrs=ignore", "attrs=rust&attrs=ignore"} {
		r = curlHarness(t, "/api/v1/run/example?"+q, "this is not even Rust {")
		assert.Equal(t, outcome.StatusOK, r.Status, q)
		assert.Nil(t, r.Compile, "%s: ignore compiles nothing", q)
		assert.Equal(t, "ignored", verdictOf(t, r).Outcome, q)
	}
	r = curlHarness(t, "/api/v1/run/example?attrs=text", "$ cargo run\n")
	assert.Nil(t, r.Compile)
	v := verdictOf(t, r)
	assert.Equal(t, "ignored", v.Outcome)
	assert.Contains(t, v.Reason, "not Rust")

	code, p := curlRefused(t, "/api/v1/run/example?edition=2019", "fn main() {}")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "args.edition", p.Field)
	body, _ := json.Marshal(map[string]any{"harness": "example", "stub": "fn main() {}", "args": map[string]any{"attrs": 5}})
	code, raw := post(t, "/api/v1/execute", "application/json", body)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, string(raw), `"field":"args.attrs"`)
}

// TestMockDrivesAnAppThroughTheLocalClient: one #[launch] app, a sequence
// of requests through one tracked client.
func TestMockDrivesAnAppThroughTheLocalClient(t *testing.T) {
	r := runHarness(t, "mock", readHarnessdata(t, "mock_app.rs"), map[string]any{"requests": []map[string]any{
		{"uri": "/hello/Ferris?excited=true"},
		{"method": "POST", "uri": "/login", "headers": map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "body": "user=ferris&age=7"},
		{"uri": "/whoami"},
		{"method": "POST", "uri": "/tasks", "headers": map[string]string{"Content-Type": "application/json"}, "body": `{"title": "write tests", "done": false}`},
		{"uri": "/hits"},
		{"uri": "/missing"},
		{"uri": "/fail"},
		{"uri": "/bytes"},
		{"uri": "/whoami", "cookies": map[string]string{"user": "mallory"}},
	}})
	require.Equal(t, outcome.StatusOK, r.Status, "%+v", r.Compile)
	res := mockResultOf(t, r)
	require.Len(t, res.Responses, 9, "%+v", res)
	for i, resp := range res.Responses {
		assert.Empty(t, resp.Error, "response %d", i)
		assert.Equal(t, "fairing", resp.Headers["x-served-by"], "the fairing saw response %d", i)
	}
	hello, login, whoami, task, hits, missing, fail, bytes, forged := res.Responses[0], res.Responses[1], res.Responses[2],
		res.Responses[3], res.Responses[4], res.Responses[5], res.Responses[6], res.Responses[7], res.Responses[8]
	assert.Equal(t, 200, hello.Status)
	assert.Equal(t, "OK", hello.Reason)
	assert.Equal(t, "Hello, Ferris!", hello.Body, "route and query parameters")
	assert.Equal(t, "ferris is 7", login.Body, "a form")
	assert.Contains(t, login.Headers["set-cookie"], "user=ferris")
	assert.Equal(t, "you are ferris", whoami.Body, "the cookie set by /login came back")
	assert.JSONEq(t, `{"title": "WRITE TESTS", "done": true}`, task.Body, "a JSON body both ways")
	assert.Equal(t, "application/json", task.Headers["content-type"])
	assert.Equal(t, "1", hits.Body, "managed state across requests")
	assert.Equal(t, 404, missing.Status)
	assert.Equal(t, "Not Found", missing.Reason)
	assert.Equal(t, "nothing at /missing", missing.Body, "the 404 catcher")
	assert.Equal(t, 500, fail.Status)
	assert.Equal(t, "custom 500", fail.Body, "the 500 catcher")
	assert.Equal(t, "base64", bytes.BodyEncoding)
	assert.Equal(t, "3q2+7w==", bytes.Body)
	assert.Equal(t, "you are mallory", forged.Body, "cookies from args are sent")

	assert.Empty(t, res.Error)
	assert.True(t, strings.HasPrefix(res.Log, "building the app\n"), "the app's own output is the log: %q", res.Log)
	assert.Contains(t, res.Log, "No matching routes for GET /missing")
	assert.NotContains(t, res.Log, "rocket-sandbox-mock", "the harness's records are not in the log")
	assert.Contains(t, r.Run.Stdout, "building the app\n")
}

// TestMockPanickingHandler: a panic aborts the module on wasm; the
// responses before it are kept, the request in flight is marked, the
// status is runtime_error and the panic points at the stub's line.
func TestMockPanickingHandler(t *testing.T) {
	stub := readHarnessdata(t, "mock_app.rs")
	r := runHarness(t, "mock", stub, map[string]any{"requests": []map[string]any{
		{"uri": "/hello/Ferris"}, {"uri": "/panic"}, {"uri": "/hits"},
	}})
	assert.Equal(t, outcome.StatusRuntimeError, r.Status)
	res := mockResultOf(t, r)
	assert.NotEmpty(t, r.Run.Trap)
	require.Len(t, res.Responses, 2, "%+v", res)
	assert.Equal(t, 200, res.Responses[0].Status)
	assert.Equal(t, "Hello, Ferris.", res.Responses[0].Body)
	assert.Zero(t, res.Responses[1].Status)
	assert.Contains(t, res.Responses[1].Error, "stopped while the app handled this request")
	assert.Equal(t, "the program stopped during request 1", res.Error)
	assert.Contains(t, r.Run.Stderr, "handler gave up")
	assert.Contains(t, r.Run.Stderr, "panicked at main.rs:"+strconv.Itoa(stubLineOf(t, stub, `panic!("handler gave up")`))+":")
}

// TestMockPlainAndAsyncRocketFunctions: without #[launch], a plain
// `fn rocket() -> Rocket<Build>` (next to the stub's own main) through
// the curl route, and an `async fn rocket()` through the JSON route.
func TestMockPlainAndAsyncRocketFunctions(t *testing.T) {
	r := curlHarness(t, "/api/v1/run/mock?method=GET&uri=/hello", readHarnessdata(t, "mock_plain.rs"))
	require.Equal(t, outcome.StatusOK, r.Status, "%+v", r.Compile)
	res := mockResultOf(t, r)
	require.Len(t, res.Responses, 1)
	assert.Equal(t, 200, res.Responses[0].Status)
	assert.Equal(t, "Hello from a plain fn rocket()", res.Responses[0].Body)

	r = runHarness(t, "mock", readHarnessdata(t, "mock_async.rs"), map[string]any{"uri": "/ready"})
	require.Equal(t, outcome.StatusOK, r.Status, "%+v", r.Compile)
	res = mockResultOf(t, r)
	require.Len(t, res.Responses, 1)
	assert.Equal(t, "built asynchronously", res.Responses[0].Body)
}

// TestMockStubLineDiagnosticsAndArgErrors: the stub's line 3 is reported
// as line 3 though the harness moves it; requests Rocket cannot send are
// refused before compiling.
func TestMockStubLineDiagnosticsAndArgErrors(t *testing.T) {
	stub := readHarnessdata(t, "mock_compile_error.rs")
	r := runHarness(t, "mock", stub, map[string]any{"uri": "/"})
	assert.Equal(t, outcome.StatusCompileError, r.Status)
	require.NotNil(t, r.Compile)
	require.NotEmpty(t, r.Compile.Diagnostics)
	d := r.Compile.Diagnostics[0]
	assert.Equal(t, "error", d.Level)
	assert.Equal(t, 3, d.Line, "%s", r.Compile.Stderr)
	assert.Equal(t, 30, d.Column)
	assert.Contains(t, r.Compile.Stderr, "--> main.rs:3:30")

	for _, c := range []struct{ query, field string }{
		{"method=PROPFIND&uri=/", "args.requests[0].method"},
		{"method=GET&uri=http://example.com/", "args.requests[0].uri"},
		{"uri=/&cookies=x", "args.cookies"},
	} {
		// The one error shape (decoded strictly): nothing was compiled.
		code, p := curlRefused(t, "/api/v1/run/mock?"+c.query, stub)
		assert.Equal(t, http.StatusBadRequest, code, c.query)
		assert.Equal(t, c.field, p.Field, c.query)
	}
}

// TestAdvertisedExamplesRun: GET /api/v1/harnesses lists example and
// mock, and the example request each advertises works as given.
func TestAdvertisedExamplesRun(t *testing.T) {
	examples := map[string]json.RawMessage{}
	for _, h := range listHarnesses(t) {
		examples[h.ID] = h.Example
	}
	require.Contains(t, examples, "example")
	require.Contains(t, examples, "mock")

	code, raw := post(t, "/api/v1/execute", "application/json", examples["example"])
	require.Equal(t, http.StatusOK, code, "%s", raw)
	r := decodeResponse(t, raw)
	assert.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	assert.Equal(t, "passed", verdictOf(t, r).Outcome)

	code, raw = post(t, "/api/v1/execute", "application/json", examples["mock"])
	require.Equal(t, http.StatusOK, code, "%s", raw)
	r = decodeResponse(t, raw)
	assert.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	res := mockResultOf(t, r)
	require.Len(t, res.Responses, 1)
	assert.Equal(t, "Hello, there!", res.Responses[0].Body)
}
