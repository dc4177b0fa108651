// Package client is a Go client of the rocket-sandbox HTTP API. Its types
// (types.gen.go) are generated from the service's OpenAPI contract
// (openapi.json, the document the server serves at /openapi.json), so
// they say what the server sends; the calls below are a thin layer over
// net/http. The project's own end-to-end tests and benchmarks use it.
//
//	c := client.New("http://127.0.0.1:8080")
//	resp, err := c.Execute(ctx, client.ExecuteRequest{
//		Harness: "program",
//		Stub:    `fn main() { println!("Hello, world!"); }`,
//	})
//	if err != nil {
//		var p *client.Error // a refusal: 4xx/5xx with the contract's Problem
//		if errors.As(err, &p) && p.Problem.Status == "overloaded" {
//			time.Sleep(p.RetryAfter)
//		}
//		return err
//	}
//	fmt.Println(resp.Status, resp.Run.Stdout) // ok Hello, world!
//
// A program that fails to compile or run is not an error: it is a
// response with a status (compile_error, runtime_error, timeout, …).
//
// Regenerate the types after changing the contract: go generate ./client
// (a test fails when the committed files are stale).
package client

//go:generate go run ./gen

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Client calls one rocket-sandbox service.
type Client struct {
	base string
	http *http.Client
	// APIKey, when set, is sent as a Bearer token.
	APIKey string
	// Strict decodes answers refusing fields the generated types do not
	// have: the project's tests use it so a server that sends more than
	// its contract says fails them.
	Strict bool
}

// New returns a client of the service at baseURL (scheme, host and
// port), over http.DefaultClient.
func New(baseURL string) *Client {
	return &Client{base: strings.TrimRight(baseURL, "/"), http: http.DefaultClient}
}

// WithHTTPClient returns c using hc for its requests.
func (c *Client) WithHTTPClient(hc *http.Client) *Client {
	cc := *c
	cc.http = hc
	return &cc
}

// Error is a refusal: the HTTP status and the contract's Problem body.
type Error struct {
	HTTPStatus int
	Problem    Problem
	// RetryAfter is the server's Retry-After (overloaded, rate_limited).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("rocket-sandbox: %d %s: %s", e.HTTPStatus, e.Problem.Status, e.Problem.Error)
	if e.Problem.Field != "" {
		msg += " (field " + e.Problem.Field + ")"
	}
	return msg
}

// Execute runs req (POST /api/v1/execute).
func (c *Client) Execute(ctx context.Context, req ExecuteRequest) (*ExecuteResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("rocket-sandbox: encode request: %w", err)
	}
	resp, _, err := c.ExecuteJSON(ctx, body)
	return resp, err
}

// ExecuteJSON posts body, a request as JSON bytes, to the execute route
// and returns the response with its bytes (the same request gives the
// same bytes).
func (c *Client) ExecuteJSON(ctx context.Context, body []byte) (*ExecuteResponse, []byte, error) {
	var resp ExecuteResponse
	raw, err := c.do(ctx, http.MethodPost, "/api/v1/execute", "application/json", body, &resp)
	if err != nil {
		return nil, raw, err
	}
	return &resp, raw, nil
}

// Run is the curl form (POST /api/v1/run/{harness}): the stub as the
// body, args as query parameters (see docs/api.md).
func (c *Client) Run(ctx context.Context, harness string, stub []byte, args url.Values) (*ExecuteResponse, error) {
	target := "/api/v1/run/" + url.PathEscape(harness)
	if len(args) > 0 {
		target += "?" + args.Encode()
	}
	var resp ExecuteResponse
	if _, err := c.do(ctx, http.MethodPost, target, "text/plain; charset=utf-8", stub, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Harnesses lists the harnesses (GET /api/v1/harnesses).
func (c *Client) Harnesses(ctx context.Context) ([]HarnessInfo, error) {
	var list HarnessList
	if _, err := c.do(ctx, http.MethodGet, "/api/v1/harnesses", "", nil, &list); err != nil {
		return nil, err
	}
	return list.Harnesses, nil
}

// Health checks that the service is up (GET /healthz).
func (c *Client) Health(ctx context.Context) error {
	var h Health
	_, err := c.do(ctx, http.MethodGet, "/healthz", "", nil, &h)
	return err
}

// do sends one request and decodes a 200 into out, anything else into
// an *Error. It returns the body's bytes either way.
func (c *Client) do(ctx context.Context, method, target, contentType string, body []byte, out any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+target, rd)
	if err != nil {
		return nil, fmt.Errorf("rocket-sandbox: %w", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rocket-sandbox: %s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("rocket-sandbox: %s %s: read answer: %w", method, target, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{HTTPStatus: resp.StatusCode}
		if err := c.decode(raw, &e.Problem); err != nil {
			return raw, fmt.Errorf("rocket-sandbox: %s %s: %d with a body that is not a Problem: %w", method, target, resp.StatusCode, err)
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return raw, e
	}
	if err := c.decode(raw, out); err != nil {
		return raw, fmt.Errorf("rocket-sandbox: %s %s: decode answer: %w", method, target, err)
	}
	return raw, nil
}

func (c *Client) decode(raw []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if c.Strict {
		dec.DisallowUnknownFields()
	}
	return dec.Decode(out)
}

// File is a project file's content in the form ExecuteRequest.Files
// takes: UTF-8 text as a JSON string, any other bytes as FileBytes
// (base64). The service sees the same bytes either way.
func File(content []byte) json.RawMessage {
	var v any = string(content)
	if !utf8.Valid(content) {
		v = FileBytes{Content: base64.StdEncoding.EncodeToString(content), Encoding: "base64"}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("client: a string or FileBytes always encodes: " + err.Error())
	}
	return b
}

// Files is a file set in the form ExecuteRequest.Files takes (File,
// each).
func Files(files map[string][]byte) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(files))
	for path, content := range files {
		out[path] = File(content)
	}
	return out
}
