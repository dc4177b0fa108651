package harnesses

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// mockDriver is the Rust module that drives the app, and mockRecords the
// one through which it reports (see the files).
var (
	//go:embed templates/mock_driver.rs
	mockDriver string
	//go:embed templates/mock_records.rs
	mockRecords string
)

// rocketMethods are the methods Rocket 0.5's Method type can represent,
// in its order; the local client cannot send any other.
var rocketMethods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "TRACE", "CONNECT", "PATCH"}

// Mock is the harness that sends requests to a Rocket app through
// Rocket's own local client (rocket::local::blocking::Client, tracked, so
// cookies carry across requests), without any HTTP layer in between.
func Mock() *Harness {
	return &Harness{
		ID:          "mock",
		Description: "A Rocket app defining `fn rocket() -> Rocket<Build>` or `#[launch] fn rocket() -> _` (sync or async). Each request in args.requests is dispatched in order through one tracked rocket::local::blocking::Client (cookies carry across); run.result holds each response and the app's own output.",
		ArgsSchema:  requestArgsSchema(requestSchema{methods: rocketMethods, cookies: "added to the request, on top of the client's cookie jar"}),
		Example: json.RawMessage(`{
  "harness": "mock",
  "stub": "#[macro_use] extern crate rocket;\n\n#[get(\"/hello/<name>\")]\nfn hello(name: &str) -> String {\n    format!(\"Hello, {name}!\")\n}\n\n#[launch]\nfn rocket() -> _ {\n    rocket::build().mount(\"/\", routes![hello])\n}\n",
  "args": {"requests": [{"method": "GET", "uri": "/hello/there"}]}
}`),
		Plan: planMock,
	}
}

func planMock(stub string, raw json.RawMessage) (Plan, error) {
	reqs, err := decodeRequests(raw)
	if err != nil {
		return Plan{}, err
	}
	type wireRequest struct {
		Method  string      `json:"method"`
		URI     string      `json:"uri"`
		Headers [][2]string `json:"headers"`
		Cookies [][2]string `json:"cookies"`
		Body    string      `json:"body"`
	}
	in := struct {
		Requests []wireRequest `json:"requests"`
	}{Requests: []wireRequest{}}
	for i, r := range reqs {
		field := fmt.Sprintf("requests[%d]", i)
		method, err := r.check(field)
		if err != nil {
			return Plan{}, err
		}
		if !slices.Contains(rocketMethods, method) {
			return Plan{}, &ArgError{Field: field + ".method", Message: fmt.Sprintf("%q is not a method Rocket can route (%s)", method, strings.Join(rocketMethods, ", "))}
		}
		w := wireRequest{Method: method, URI: r.URI, Headers: [][2]string{}, Cookies: [][2]string{}, Body: r.Body}
		for _, name := range sortedKeys(r.Headers) {
			w.Headers = append(w.Headers, [2]string{name, r.Headers[name]})
		}
		for _, name := range sortedKeys(r.Cookies) {
			w.Cookies = append(w.Cookies, [2]string{name, r.Cookies[name]})
		}
		in.Requests = append(in.Requests, w)
	}
	stdin, err := json.Marshal(in)
	if err != nil {
		return Plan{}, fmt.Errorf("encode the requests: %w", err)
	}
	source, lines := sourceAndLines(mockProgram(stub))
	var opts struct {
		Env map[string]string `json:"env"`
	}
	_ = json.Unmarshal(raw, &opts) // decodeRequests has validated raw
	env, err := envArg(opts.Env)
	if err != nil {
		return Plan{}, err
	}
	return Plan{Source: source, Lines: lines, Input: Input{Stdin: stdin, Env: env}, read: interpretMock}, nil
}

// mockUnbalanced is the harness's line after a stub whose delimiters do
// not balance (see mockProgram).
const mockUnbalanced = `compile_error!("the mock harness places the stub inside a module: every (, [ and { it opens must close in it, and it may close none it did not open");`

// mockProgram places the stub in `mod app`, so the main that `#[launch]`
// generates is app::main and the harness's own main can drive the app.
// Crate attributes and `extern crate` lines (with a `#[macro_use]` on the
// line before) must stay at the crate root: they are hoisted as the
// example harness hoists them. The driver module goes inside app, where
// it may call the stub's private rocket(); the record channel it reports
// on (mockRecords) goes at the root.
//
// The driver's records are believed only because the stub cannot reach
// into the harness's code, which takes three guards here (the fourth, the
// record key, is the host's):
//   - the stub must stay inside app: its delimiters must balance (one lex
//     with rustdoc's lexer), or it could close app early and define the
//     driver itself. A stub that does not balance is compiled as it is,
//     with a compile_error, so rustc reports its own error on the stub's
//     lines and nothing runs;
//   - an attribute the stub leaves dangling at its end (`#[cfg(any())]`)
//     would apply to the driver: a harness item after the stub takes it;
//   - app is compiled with forbid(unsafe_code), so the stub can neither
//     read the driver's memory (the key) nor run code before main
//     (`#[link_section]` constructors, `#[no_mangle]` symbol overrides),
//     which is what makes "the driver asks for the key first" true.
func mockProgram(stub string) []rustdoc.Line {
	top, rest := rustdoc.HoistCrateItems(stub)
	if !rustdoc.Balanced(rest) {
		prog := rustdoc.Lines(stub)
		return append(prog, harnessLines(mockUnbalanced)...)
	}
	prog := append([]rustdoc.Line{}, top...)
	// dead_code: the main #[launch] generates is never called here.
	prog = append(prog, harnessLines("#[allow(dead_code)]", "#[forbid(unsafe_code)]", "mod app {")...)
	prog = append(prog, rest...)
	prog = append(prog, harnessLines("const _: () = (); // takes any attribute the stub left dangling")...)
	prog = append(prog, harnessLines(rustdoc.SplitLines(mockDriver)...)...)
	prog = append(prog, harnessLines("}")...)
	prog = append(prog, harnessLines(rustdoc.SplitLines(mockRecords)...)...)
	return append(prog, harnessLines("fn main() {", "    app::__rocket_sandbox_mock::main()", "}")...)
}

// mockResult is the mock harness's run.result.
type mockResult struct {
	Responses []mockEntry `json:"responses"`
	// Log is what the app wrote on stdout (its prints and Rocket's log),
	// without the harness's records.
	Log string `json:"log"`
	// Error says why the requests did not all get a response, if so.
	Error string `json:"error,omitempty"`
}

type mockEntry struct {
	*response
	Error string `json:"error,omitempty"`
}

// interpretMock reads the responses from the driver's records; the app's
// output is all of stdout. Records come only through the host's record
// channel, so nothing the app prints can pass for one.
func interpretMock(run *outcome.Run) (json.RawMessage, error) {
	out := mockResult{Responses: []mockEntry{}, Log: string(run.Stdout)}
	if run.RecordsForged {
		out.Error = "the program used the harness's record channel without its key, so none of its records can be believed (the stub must not call into the harness's code)"
		return json.Marshal(out)
	}
	inFlight, done := -1, false
	for _, rec := range run.Records {
		kind, payload, _ := bytes.Cut(rec, []byte(" "))
		switch string(kind) {
		case "request":
			inFlight, _ = strconv.Atoi(string(payload))
		case "response":
			inFlight = -1
			r, err := mockResponse(payload)
			if err != nil {
				out.Responses = append(out.Responses, mockEntry{Error: fmt.Sprintf("unreadable response record: %v", err)})
				continue
			}
			out.Responses = append(out.Responses, mockEntry{response: &r})
		case "error":
			_ = json.Unmarshal(payload, &out.Error)
		case "done":
			done = true
		}
	}
	switch {
	case done, out.Error != "":
	case inFlight >= 0:
		out.Responses = append(out.Responses, mockEntry{Error: "no response: the program stopped while the app handled this request (on wasm a panic aborts the whole module; see run.stderr)"})
		out.Error = fmt.Sprintf("the program stopped during request %d", inFlight)
	default:
		out.Error = "the program stopped before the requests were sent (see run.stderr)"
	}
	return json.Marshal(out)
}

// mockResponse turns a driver record into the response shape the serve
// harness reports: header names lowercased, repeated headers joined with
// ", ", a body that is not UTF-8 in base64.
func mockResponse(payload []byte) (response, error) {
	var rec struct {
		Status       int         `json:"status"`
		Reason       string      `json:"reason"`
		Headers      [][2]string `json:"headers"`
		Body         string      `json:"body"`
		BodyEncoding string      `json:"body_encoding"`
	}
	if err := json.Unmarshal(payload, &rec); err != nil {
		return response{}, err
	}
	r := response{Status: rec.Status, Reason: rec.Reason, Headers: joinHeaders(rec.Headers), Body: rec.Body, BodyEncoding: "utf-8"}
	if rec.BodyEncoding == "hex" {
		body, err := hex.DecodeString(rec.Body)
		if err != nil {
			return response{}, fmt.Errorf("body: %w", err)
		}
		// The driver sends hex only for bodies that are not UTF-8.
		r.Body, r.BodyEncoding = base64.StdEncoding.EncodeToString(body), "base64"
	}
	return r, nil
}

// joinHeaders lowercases the names and joins the values of a repeated
// header with ", ", in the order they came. It is linear in the headers'
// total size: a record can hold tens of thousands of them, and joining
// them one at a time would copy the value so far each time.
func joinHeaders(headers [][2]string) map[string]string {
	values := map[string][]string{}
	var order []string
	for _, h := range headers {
		name := strings.ToLower(h[0])
		if _, seen := values[name]; !seen {
			order = append(order, name)
		}
		values[name] = append(values[name], h[1])
	}
	out := make(map[string]string, len(order))
	for _, name := range order {
		out[name] = strings.Join(values[name], ", ")
	}
	return out
}
