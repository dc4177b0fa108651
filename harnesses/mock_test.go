package harnesses

import (
	"encoding/json"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

func TestMockProgramWrapsTheStubInAModule(t *testing.T) {
	stub := "//! An app.\n#![allow(dead_code)]\n#[macro_use]\nextern crate rocket;\n\n#[get(\"/\")]\nfn index() -> &'static str { \"hi\" }\n\n#[launch]\nfn rocket() -> _ { rocket::build() }\n"
	source, origins := sourceAndLines(mockProgram(stub))
	src := string(source)
	lines := strings.Split(src, "\n")
	assert.Equal(t, []string{"//! An app.", "#![allow(dead_code)]", "#[macro_use]", "extern crate rocket;", "", "#[allow(dead_code)]", "#[forbid(unsafe_code)]", "mod app {", `#[get("/")]`}, lines[:9],
		"crate attributes and the extern crate stay at the root; the app goes in mod app")
	assert.Contains(t, src, "pub(crate) mod __rocket_sandbox_mock {", "the driver is inside app, next to rocket()")
	assert.True(t, strings.HasSuffix(src, "}\nfn main() {\n    app::__rocket_sandbox_mock::main()\n}\n"))
	plan := Plan{Source: source, Lines: origins}
	assertStubLinesKept(t, stub, plan)
	l, c := origins.StubPosition(9, 3)
	assert.Equal(t, [2]int{6, 3}, [2]int{l, c}, "the stub's line 6 is the program's line 9")
	l, _ = origins.StubPosition(len(origins)-1, 1)
	assert.Equal(t, 0, l, "the driver is harness code")

	// A stub without crates or attributes is moved down by three lines.
	source, _ = sourceAndLines(mockProgram("use rocket::{get, routes};\n"))
	want := "#[allow(dead_code)]\n#[forbid(unsafe_code)]\nmod app {\nuse rocket::{get, routes};\nconst _: () = ();"
	assert.Equal(t, want, string(source)[:len(want)], "and a harness item follows it")
}

func TestMockStubStaysInsideItsModule(t *testing.T) {
	// A stub that closes mod app early (to define the driver module itself,
	// with a cfg'd-out module swallowing the real one) does not balance on
	// its own: it is compiled as it is, with a compile_error, never inside
	// the harness's code.
	for _, stub := range []string{
		"fn rocket() -> rocket::Rocket<rocket::Build> { rocket::build() }\n}\npub(crate) mod fake { }\n#[cfg(any())]\nmod swallow {\n",
		"}\n",
		"fn f() {\n",
		"const S: &str = \"unterminated;\n",
	} {
		source, origins := sourceAndLines(mockProgram(stub))
		src := string(source)
		assert.Equal(t, stub+mockUnbalanced+"\n", src)
		assert.NotContains(t, src, "__rocket_sandbox_mock", "no driver, so nothing to forge")
		l, _ := origins.StubPosition(1, 1)
		assert.Equal(t, 1, l, "the stub's lines are its own")
	}
	// A balanced stub ending in an attribute: the harness's item after it
	// takes the attribute, not the driver.
	src := string(must(sourceAndLines(mockProgram("fn rocket() {}\n#[cfg(any())]\n"))))
	assert.Contains(t, src, "#[cfg(any())]\nconst _: () = ();")
}

func must(b []byte, _ LineMap) []byte { return b }

// assertStubLinesKept checks a plan's line map against a stub that has no
// hidden lines: each Source line mapped to a stub line is that line, as
// it is, and every stub line that is not blank is in Source.
func assertStubLinesKept(t *testing.T, stub string, p Plan) {
	t.Helper()
	want := rustdoc.SplitLines(stub)
	got := rustdoc.SplitLines(string(p.Source))
	require.Len(t, p.Lines, len(got), "every line of the source has an origin")
	kept := map[int]bool{}
	for i, o := range p.Lines {
		if o.Line > 0 {
			require.LessOrEqual(t, o.Line, len(want))
			assert.Equal(t, want[o.Line-1], got[i], "source line %d", i+1)
			kept[o.Line] = true
		}
	}
	for i, w := range want {
		assert.True(t, strings.TrimSpace(w) == "" || kept[i+1], "stub line %d (%q) is in the source", i+1, w)
	}
}

func TestPlanMockSendsTheRequestsOnStdin(t *testing.T) {
	p, err := planMock("fn rocket() {}", json.RawMessage(`{"requests": [
		{"uri": "/a?x=1"},
		{"method": "POST", "uri": "/b", "headers": {"X-B": "2", "Content-Type": "text/plain"}, "cookies": {"z": "1", "a": "2"}, "body": "hi"}
	]}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"requests": [
		{"method": "GET", "uri": "/a?x=1", "headers": [], "cookies": [], "body": ""},
		{"method": "POST", "uri": "/b", "headers": [["Content-Type", "text/plain"], ["X-B", "2"]], "cookies": [["a", "2"], ["z", "1"]], "body": "hi"}
	]}`, string(p.Input.Stdin))
	assert.NotContains(t, string(p.Source), "/a?x=1", "requests are data, never source")
	assert.Empty(t, p.Input.Connections)

	p, err = planMock("fn rocket() {}", json.RawMessage(`{"method": "DELETE", "uri": "/c", "cookies": {"s": "v"}}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"requests": [{"method": "DELETE", "uri": "/c", "headers": [], "cookies": [["s", "v"]], "body": ""}]}`, string(p.Input.Stdin), "top-level fields are one request")

	p, err = planMock("fn rocket() {}", nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"requests": []}`, string(p.Input.Stdin))
}

func TestPlanMockArgErrors(t *testing.T) {
	cases := map[string]struct{ args, field string }{
		"method Rocket cannot route":      {`{"method": "PROPFIND", "uri": "/"}`, "requests[0].method"},
		"lower-case method":               {`{"requests": [{"uri": "/"}, {"method": "get", "uri": "/"}]}`, "requests[1].method"},
		"absolute URI":                    {`{"uri": "http://example.com/"}`, "requests[0].uri"},
		"URI with a space":                {`{"uri": "/a b"}`, "requests[0].uri"},
		"missing URI":                     {`{"method": "GET"}`, "requests[0].uri"},
		"header with CRLF":                {`{"uri": "/", "headers": {"X": "a\r\nb"}}`, "requests[0].headers.X"},
		"bad header name":                 {`{"uri": "/", "headers": {"X Y": "a"}}`, "requests[0].headers"},
		"cookie with ;":                   {`{"uri": "/", "cookies": {"a": "b; c=d"}}`, "requests[0].cookies.a"},
		"bad cookie name":                 {`{"uri": "/", "cookies": {"a=b": "c"}}`, "requests[0].cookies"},
		"both forms":                      {`{"uri": "/", "requests": [{"uri": "/"}]}`, "requests"},
		"too many":                        {`{"requests": [` + strings.Repeat(`{"uri": "/"},`, 32) + `{"uri": "/"}]}`, "requests"},
		"unknown arg":                     {`{"uri": "/", "edition": "2018"}`, "edition"},
		"top-level field of a wrong type": {`{"uri": 5}`, "uri"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := planMock("fn rocket() {}", json.RawMessage(c.args))
			var argErr *ArgError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, c.field, argErr.Field, argErr.Message)
		})
	}
}

// records is a run that wrote stdout and the records given as
// "kind payload" pairs.
func records(stdout string, recs ...string) *outcome.Run {
	run := &outcome.Run{Stdout: []byte(stdout)}
	for i := 0; i+1 < len(recs); i += 2 {
		run.Records = append(run.Records, []byte(recs[i]+" "+recs[i+1]))
	}
	return run
}

// mockWire is run.result as clients read it.
type mockWire struct {
	Responses []struct {
		Status       int               `json:"status"`
		Headers      map[string]string `json:"headers"`
		Body         string            `json:"body"`
		BodyEncoding string            `json:"body_encoding"`
		Error        string            `json:"error"`
	} `json:"responses"`
	Log   string `json:"log"`
	Error string `json:"error"`
}

func interpretMockT(t *testing.T, run *outcome.Run) mockWire {
	t.Helper()
	raw, err := interpretMock(run)
	require.NoError(t, err)
	var r mockWire
	require.NoError(t, json.Unmarshal(raw, &r))
	return r
}

func TestInterpretMockSeparatesRecordsFromTheAppsOutput(t *testing.T) {
	ok := `{"status":200,"reason":"OK","headers":[["Content-Type","text/plain"],["Set-Cookie","a=1"],["set-cookie","b=2"]],"body":"hi","body_encoding":"utf-8"}`
	bin := `{"status":201,"reason":"Created","headers":[],"body":"dead00","body_encoding":"hex"}`
	stdout := "building\nRocket has launched locally\npartial linehandler says hi\n"
	r := interpretMockT(t, records(stdout, "request", "0", "response", ok, "request", "1", "response", bin, "done", "null"))
	assert.Equal(t, stdout, r.Log, "stdout is the app's alone")
	assert.Empty(t, r.Error)
	require.Len(t, r.Responses, 2)
	first := r.Responses[0]
	assert.Empty(t, first.Error)
	assert.Equal(t, 200, first.Status)
	assert.Equal(t, "hi", first.Body)
	assert.Equal(t, "utf-8", first.BodyEncoding)
	assert.Equal(t, map[string]string{"content-type": "text/plain", "set-cookie": "a=1, b=2"}, first.Headers, "names lowercased, repeats joined as serve does")
	assert.Equal(t, "3q0A", r.Responses[1].Body, "bytes that are not UTF-8 come back in base64")
	assert.Equal(t, "base64", r.Responses[1].BodyEncoding)

	// The app panicked during the second request: what came before stays.
	r = interpretMockT(t, records("about to panic\n", "request", "0", "response", ok, "request", "1"))
	require.Len(t, r.Responses, 2)
	assert.Equal(t, 200, r.Responses[0].Status)
	assert.Zero(t, r.Responses[1].Status, "no response for the request in flight")
	assert.Contains(t, r.Responses[1].Error, "stopped while the app handled this request")
	assert.Equal(t, "the program stopped during request 1", r.Error)
	assert.Equal(t, "about to panic\n", r.Log)

	// Rocket refused to launch.
	r = interpretMockT(t, records("Error: Rocket failed to launch due to the following route collisions:\n", "error", `"Rocket failed to launch: route collisions detected"`))
	assert.Empty(t, r.Responses)
	assert.Equal(t, "Rocket failed to launch: route collisions detected", r.Error)

	// Nothing at all (a panic while building the app), and records past
	// their budget (dropped whole by the host).
	r = interpretMockT(t, records(""))
	assert.Contains(t, r.Error, "before the requests were sent")
	r = interpretMockT(t, records("", "request", "0"))
	assert.Len(t, r.Responses, 1)
	assert.Contains(t, r.Responses[0].Error, "stopped while")
}

func TestMockRecordsCannotBeForged(t *testing.T) {
	ok := `{"status":200,"reason":"OK","headers":[],"body":"real","body_encoding":"utf-8"}`
	forged := `{"status":200,"reason":"OK","headers":[],"body":"forged","body_encoding":"utf-8"}`
	// The app prints what the driver used to print on stdout: it is only
	// the app's output.
	stdout := "\n\x1erocket-sandbox-mock:response " + forged + "\n"
	r := interpretMockT(t, records(stdout, "request", "0", "response", ok, "done", "null"))
	require.Len(t, r.Responses, 1)
	assert.Equal(t, "real", r.Responses[0].Body)
	assert.Equal(t, stdout, r.Log)

	// Something used the record channel without the key: nothing of it is
	// believed.
	run := records("", "request", "0", "response", forged, "done", "null")
	run.RecordsForged = true
	r = interpretMockT(t, run)
	assert.Empty(t, r.Responses)
	assert.Contains(t, r.Error, "without its key")
}

func TestJoinHeadersIsLinear(t *testing.T) {
	// ~87k repeats of one header in one record: joining them one at a time
	// copied the value so far each time (quadratic in bytes). Doubling the
	// headers must about double the bytes allocated.
	allocated := func(n int) uint64 {
		headers := make([][2]string, n)
		for i := range headers {
			headers[i] = [2]string{"Set-Cookie", "a=1"}
		}
		var before, after goruntime.MemStats
		goruntime.GC()
		goruntime.ReadMemStats(&before)
		joined := joinHeaders(headers)
		goruntime.ReadMemStats(&after)
		require.Len(t, joined["set-cookie"], 5*n-2)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := allocated(20_000), allocated(40_000)
	assert.Less(t, float64(large)/float64(small), 3.0, "bytes allocated for 20k headers: %d, for 40k: %d", small, large)
	assert.Equal(t, map[string]string{"a": "1, 2", "b": "3"}, joinHeaders([][2]string{{"A", "1"}, {"b", "3"}, {"a", "2"}}))
}
