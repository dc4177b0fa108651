package harnesses

import (
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
)

// mockDriver is the Rust module that drives the app (see the file).
//
//go:embed templates/mock_driver.rs
var mockDriver string

// mockMark starts every record line the driver writes on stdout.
const mockMark = "\x1erocket-sandbox-mock:"

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
	return Plan{Source: source, Lines: lines, Input: Input{Stdin: stdin}, read: interpretMock}, nil
}

// mockProgram places the stub in `mod app`, so the main that `#[launch]`
// generates is app::main and the harness's own main can drive the app.
// Crate attributes and `extern crate` lines (with a `#[macro_use]` on the
// line before) must stay at the crate root: they are hoisted as the
// example harness hoists them. The driver module goes inside app, where
// it may call the stub's private rocket().
func mockProgram(stub string) []rustdoc.Line {
	top, rest := rustdoc.HoistCrateItems(stub)
	prog := append([]rustdoc.Line{}, top...)
	// dead_code: the main #[launch] generates is never called here.
	prog = append(prog, harnessLines("#[allow(dead_code)]", "mod app {")...)
	prog = append(prog, rest...)
	prog = append(prog, harnessLines(rustdoc.SplitLines(mockDriver)...)...)
	return append(prog, harnessLines("}", "fn main() {", "    app::__rocket_sandbox_mock::main()", "}")...)
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

// interpretMock separates the driver's records from the app's output and
// reads the responses.
func interpretMock(stdout []byte, _ [][]byte) (json.RawMessage, error) {
	out := mockResult{Responses: []mockEntry{}}
	var log strings.Builder
	inFlight, done := -1, false
	rest := string(stdout)
	for {
		at := strings.Index(rest, mockMark)
		if at < 0 {
			log.WriteString(rest)
			break
		}
		// The driver starts each record with a newline of its own.
		log.WriteString(strings.TrimSuffix(rest[:at], "\n"))
		rest = rest[at+len(mockMark):]
		end := strings.IndexByte(rest, '\n')
		if end < 0 {
			break // cut off by the output cap
		}
		kind, payload, _ := strings.Cut(rest[:end], " ")
		rest = rest[end+1:]
		switch kind {
		case "request":
			inFlight, _ = strconv.Atoi(payload)
		case "response":
			inFlight = -1
			r, err := mockResponse([]byte(payload))
			if err != nil {
				out.Responses = append(out.Responses, mockEntry{Error: fmt.Sprintf("unreadable response record: %v", err)})
				continue
			}
			out.Responses = append(out.Responses, mockEntry{response: &r})
		case "error":
			_ = json.Unmarshal([]byte(payload), &out.Error)
		case "done":
			done = true
		}
	}
	out.Log = log.String()
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
	r := response{Status: rec.Status, Reason: rec.Reason, Headers: map[string]string{}, Body: rec.Body, BodyEncoding: "utf-8"}
	for _, h := range rec.Headers {
		name := strings.ToLower(h[0])
		if prev, ok := r.Headers[name]; ok {
			r.Headers[name] = prev + ", " + h[1]
		} else {
			r.Headers[name] = h[1]
		}
	}
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
