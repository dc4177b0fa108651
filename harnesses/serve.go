package harnesses

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// request is one HTTP request in a harness's args.
type request struct {
	Method  string            `json:"method"`
	URI     string            `json:"uri"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	// Cookies are sent with the request (serve: as a Cookie header).
	Cookies map[string]string `json:"cookies"`
	// Raw (serve only) is sent exactly as given instead of a request
	// built from the fields above: for seeing malformed input handled.
	Raw string `json:"raw"`
}

// maxRawBytes bounds one raw request.
const maxRawBytes = 64 << 10

// serveArgs holds a list of requests, or one request's fields at the top
// level (the short form curl users write as query parameters).
type serveArgs struct {
	Requests []request `json:"requests"`
	request
	// RawResponses (serve only) adds each response's bytes as received.
	RawResponses bool `json:"raw_responses"`
	// Env is the program's environment (ROCKET_* configuration).
	Env map[string]string `json:"env"`
}

// maxRequests bounds the connections one run may open.
const maxRequests = 32

// Serve is the harness that runs an unmodified `#[launch]` Rocket app: its
// real launch() path listens on the virtual socket, the host sends one
// HTTP/1.1 request per connection, and when the last one is answered
// Rocket shuts down gracefully.
func Serve() *Harness {
	return &Harness{
		ID:          "serve",
		Description: "An ordinary Rocket application with `#[launch]`, served over a virtual socket: each request in args.requests is sent on its own connection and the parsed responses are returned in run.result.",
		ArgsSchema:  requestArgsSchema(requestSchema{cookies: "sent as one Cookie header", raw: true}),
		Example: json.RawMessage(`{
  "harness": "serve",
  "stub": "#[macro_use] extern crate rocket;\n\n#[get(\"/hello/<name>\")]\nfn hello(name: &str) -> String {\n    format!(\"Hello, {name}!\")\n}\n\n#[launch]\nfn rocket() -> _ {\n    rocket::build().mount(\"/\", routes![hello])\n}\n",
  "args": {"requests": [{"method": "GET", "uri": "/hello/there"}]}
}`),
		Plan: planServe,
	}
}

func planServe(stub string, raw json.RawMessage) (Plan, error) {
	reqs, err := decodeRequests(raw)
	if err != nil {
		return Plan{}, err
	}
	var opts struct {
		RawResponses bool              `json:"raw_responses"`
		Env          map[string]string `json:"env"`
	}
	_ = json.Unmarshal(raw, &opts) // decodeRequests has validated raw
	env, err := envArg(opts.Env)
	if err != nil {
		return Plan{}, err
	}
	p := Plan{Source: []byte(stub), Input: Input{Env: env, TrackResponse: newResponseFramer}, read: interpretServe}
	if opts.RawResponses {
		p.read = func(run *outcome.Run) (json.RawMessage, error) {
			return interpretResponses(run.Responses, true)
		}
	}
	for i, r := range reqs {
		if r.Raw != "" {
			if r.Method != "" || r.URI != "" || r.Headers != nil || r.Body != "" || r.Cookies != nil {
				return Plan{}, &ArgError{Field: fmt.Sprintf("requests[%d].raw", i), Message: "a raw request takes no other fields"}
			}
			if len(r.Raw) > maxRawBytes {
				return Plan{}, &ArgError{Field: fmt.Sprintf("requests[%d].raw", i), Message: fmt.Sprintf("at most %d bytes", maxRawBytes)}
			}
			conn := []byte(r.Raw)
			if wholeRequests(conn) {
				conn = append(conn, connectionEnd...)
			}
			p.Input.Connections = append(p.Input.Connections, conn)
			continue
		}
		b, err := r.wire(fmt.Sprintf("requests[%d]", i))
		if err != nil {
			return Plan{}, err
		}
		p.Input.Connections = append(p.Input.Connections, append(b, connectionEnd...))
	}
	return p, nil
}

// connectionEnd follows the requests on each connection: an empty line,
// which HTTP/1.1 lets a server ignore before a request line (RFC 9112,
// 2.2) and which hyper does ignore (it skips leading empty lines, and
// one before the end of the stream closes the connection quietly).
//
// It is there for the virtual clock. While a response is pending, hyper
// reads on to notice a client that hangs up, unless bytes are waiting in
// its buffer; the guest's read of an empty virtual socket says "would
// block" and wakes itself to try again, so the guest is never idle, its
// runtime never sleeps until its next timer, and a handler awaiting a
// timer (`sleep`, an `interval` of an event stream) waited in busy polls
// until the run's deadline. With the empty line in its buffer hyper does
// not read, the runtime sleeps when nothing is ready, and the virtual
// clock jumps to the next timer (docs/design.md, "The virtual clock").
const connectionEnd = "\r\n"

// wholeRequests reports whether raw is one or more complete HTTP/1.x
// requests and nothing else, none of them an upgrade (whose connection
// carries other bytes after it): the raw requests that get connectionEnd.
// Others are sent exactly as given: a truncated request must stay
// truncated.
func wholeRequests(raw []byte) bool {
	r := bufio.NewReader(bytes.NewReader(raw))
	for {
		req, err := http.ReadRequest(r)
		if err != nil || req.Header.Get("Upgrade") != "" || req.Method == http.MethodConnect {
			return false
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return false
		}
		if _, err := r.Peek(1); err == io.EOF {
			return true
		}
	}
}

// decodeRequests reads the args of a harness that sends requests: a list
// in requests, or one request's fields at the top level.
func decodeRequests(raw json.RawMessage) ([]request, error) {
	var args serveArgs
	if err := decodeArgs(raw, &args); err != nil {
		// encoding/json names a top-level field through the embedded
		// struct ("request.uri"); the client wrote "uri".
		var argErr *ArgError
		if errors.As(err, &argErr) {
			argErr.Field = strings.TrimPrefix(argErr.Field, "request.")
		}
		return nil, err
	}
	single := args.request
	if single.URI != "" || single.Method != "" || single.Body != "" || single.Headers != nil || single.Cookies != nil || single.Raw != "" {
		if len(args.Requests) > 0 {
			return nil, &ArgError{Field: "requests", Message: "give either requests or one request's fields, not both"}
		}
		args.Requests = []request{single}
	}
	if len(args.Requests) > maxRequests {
		return nil, &ArgError{Field: "requests", Message: fmt.Sprintf("at most %d requests", maxRequests)}
	}
	return args.Requests, nil
}

// check validates the request (field names it in errors) and returns its
// method, GET by default. reserved names headers the harness sets itself.
func (r request) check(field string, reserved ...string) (method string, err error) {
	if r.Raw != "" {
		return "", &ArgError{Field: field + ".raw", Message: "raw requests are for the serve harness, which speaks HTTP over a socket"}
	}
	method = r.Method
	if method == "" {
		method = http.MethodGet
	}
	if !isToken(method) || strings.ToUpper(method) != method {
		return "", &ArgError{Field: field + ".method", Message: fmt.Sprintf("%q is not an HTTP method", method)}
	}
	u, err := url.ParseRequestURI(r.URI)
	if err != nil || !strings.HasPrefix(r.URI, "/") || strings.ContainsAny(r.URI, " \r\n\t") || u.Host != "" {
		return "", &ArgError{Field: field + ".uri", Message: fmt.Sprintf("%q is not an origin-form URI such as /path?query", r.URI)}
	}
	// In order, so that of several mistakes the same one is reported.
	for _, name := range sortedKeys(r.Headers) {
		value := r.Headers[name]
		switch {
		case !isToken(name):
			return "", &ArgError{Field: field + ".headers", Message: fmt.Sprintf("%q is not a header name", name)}
		case strings.ContainsAny(value, "\r\n\x00"):
			return "", &ArgError{Field: field + ".headers." + name, Message: "header values cannot contain CR, LF or NUL"}
		}
		for _, res := range reserved {
			if strings.EqualFold(name, res) {
				return "", &ArgError{Field: field + ".headers." + name, Message: "set by the harness"}
			}
		}
	}
	for _, name := range sortedKeys(r.Cookies) {
		value := r.Cookies[name]
		switch {
		case !isToken(name):
			return "", &ArgError{Field: field + ".cookies", Message: fmt.Sprintf("%q is not a cookie name", name)}
		case strings.ContainsFunc(value, func(c rune) bool { return c < 0x20 || c == 0x7f || c == ';' }):
			return "", &ArgError{Field: field + ".cookies." + name, Message: "cookie values cannot contain control characters or ';'"}
		}
	}
	return method, nil
}

// sortedKeys gives a map's keys in order, so the same args give the same
// bytes.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// wire renders the request as HTTP/1.1 bytes, refusing anything that
// would not be one well-formed request.
func (r request) wire(field string) ([]byte, error) {
	method, err := r.check(field, "host", "content-length", "connection", "transfer-encoding")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: localhost\r\n", method, r.URI)
	for _, name := range sortedKeys(r.Headers) {
		if len(r.Cookies) > 0 && strings.EqualFold(name, "cookie") {
			return nil, &ArgError{Field: field + ".headers." + name, Message: "give cookies either as a Cookie header or in cookies, not both"}
		}
		fmt.Fprintf(&b, "%s: %s\r\n", name, r.Headers[name])
	}
	if len(r.Cookies) > 0 {
		var pairs []string
		for _, name := range sortedKeys(r.Cookies) {
			pairs = append(pairs, name+"="+r.Cookies[name])
		}
		fmt.Fprintf(&b, "Cookie: %s\r\n", strings.Join(pairs, "; "))
	}
	// One request per connection, so the server closes it when done.
	fmt.Fprintf(&b, "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(r.Body), r.Body)
	return b.Bytes(), nil
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c > 126 || c <= 32 || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c) {
			return false
		}
	}
	return true
}

// response is a parsed response as clients see it.
type response struct {
	Status  int               `json:"status"`
	Reason  string            `json:"reason"`
	Headers map[string]string `json:"headers"`
	// Body is the body as text, or base64 when it is not UTF-8.
	Body         string `json:"body"`
	BodyEncoding string `json:"body_encoding"`
}

func parseResponse(raw []byte) (response, error) {
	res, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	out := response{Status: res.StatusCode, Reason: strings.TrimSpace(strings.TrimPrefix(res.Status, strconv.Itoa(res.StatusCode))),
		Headers: map[string]string{}, Body: string(body), BodyEncoding: "utf-8"}
	for name, values := range res.Header {
		out.Headers[strings.ToLower(name)] = strings.Join(values, ", ")
	}
	if !utf8.Valid(body) {
		out.Body, out.BodyEncoding = base64.StdEncoding.EncodeToString(body), "base64"
	}
	return out, nil
}

// interpretServe turns the raw responses into the run's result.
func interpretServe(run *outcome.Run) (json.RawMessage, error) {
	return interpretResponses(run.Responses, false)
}

func interpretResponses(responses [][]byte, withRaw bool) (json.RawMessage, error) {
	type entry struct {
		*response
		Error string `json:"error,omitempty"`
		// Raw is the response as received: text, or base64 when it is
		// not UTF-8 (RawEncoding says which).
		Raw         *string `json:"raw,omitempty"`
		RawEncoding string  `json:"raw_encoding,omitempty"`
	}
	out := struct {
		Responses []entry `json:"responses"`
	}{Responses: []entry{}}
	for _, raw := range responses {
		var e entry
		if r, err := parseResponse(raw); err != nil {
			e.Error = fmt.Sprintf("no complete HTTP response (%d bytes): %v", len(raw), err)
		} else {
			e.response = &r
		}
		if withRaw {
			text, enc := string(raw), "utf-8"
			if !utf8.Valid(raw) {
				text, enc = base64.StdEncoding.EncodeToString(raw), "base64"
			}
			e.Raw, e.RawEncoding = &text, enc
		}
		out.Responses = append(out.Responses, e)
	}
	return json.Marshal(out)
}
