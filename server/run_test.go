package server

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunHappyPath(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	// Bytes a JSON or form decoder would touch: CRLF, quotes, backslashes,
	// '+', '%', '&', a BOM and non-ASCII text.
	stub := "\ufefffn main() {\r\n\tprintln!(\"a+b=%d & \\\"<html>\\\" é\", 1);\r\n}\n"

	r := do(t, app, fiber.MethodPost,
		"/api/v1/run/hello?requests[1][method]=POST&requests[0][method]=GET&requests[0][uri]=/a%20b&requests[1][uri]=/x&seed=7&mode=fast",
		[]byte(stub), fiber.HeaderContentType, "application/x-www-form-urlencoded")

	require.Equal(t, fiber.StatusOK, r.code, "body %s", r.body)
	assert.Equal(t, fiber.MIMEApplicationJSON, r.header.Get(fiber.HeaderContentType))
	req := svc.lastCall(t)
	assert.Equal(t, "hello", req.Harness)
	assert.Equal(t, stub, req.Stub, "the body arrives unchanged as the stub")
	assert.JSONEq(t, `{"mode":"fast","requests":[{"method":"GET","uri":"/a b"},{"method":"POST","uri":"/x"}]}`, string(req.Args))
	require.NotNil(t, req.Seed)
	assert.Equal(t, uint64(7), *req.Seed)

	second := do(t, app, fiber.MethodPost, "/api/v1/run/hello", []byte(stub))
	assert.Equal(t, string(r.body), string(second.body), "same result, same bytes")
}

func TestRunQueryShapes(t *testing.T) {
	cases := map[string]string{
		"":                                      `{}`,
		"?name=x":                               `{"name":"x"}`,
		"?method=GET&uri=/a&method=POST&uri=/b": `{"method":["GET","POST"],"uri":["/a","/b"]}`,
		"?flag":                                 `{"flag":""}`,
		"?q=a+b&r=%3Chtml%3E":                   `{"q":"a b","r":"<html>"}`,
	}
	for query, want := range cases {
		t.Run(query, func(t *testing.T) {
			svc := &fakeService{resp: okResponse()}
			app, _ := testApp(t, svc, Config{})
			r := do(t, app, fiber.MethodPost, "/api/v1/run/hello"+query, []byte("fn main() {}"))
			require.Equal(t, fiber.StatusOK, r.code, "body %s", r.body)
			req := svc.lastCall(t)
			assert.JSONEq(t, want, string(req.Args))
			assert.Nil(t, req.Seed)
		})
	}
}

func TestRunEscapedHarness(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	r := do(t, app, fiber.MethodPost, "/api/v1/run/hello%2Dworld", []byte("fn main() {}"))
	require.Equal(t, fiber.StatusOK, r.code, "body %s", r.body)
	assert.Equal(t, "hello-world", svc.lastCall(t).Harness)
}

func TestRunBadInput(t *testing.T) {
	cases := []struct {
		name    string
		target  string
		body    string
		headers []string
		code    int
		field   string
		message string
	}{
		{"empty body", "/api/v1/run/hello", "", nil, 400, "stub", "empty"},
		{"invalid UTF-8 body", "/api/v1/run/hello", "fn main() { \xc3\x28 }", nil, 400, "stub", "offset 12"},
		{"over stub limit", "/api/v1/run/hello", "fn main() { let _ = 1234567890123; }", nil, 413, "stub", "36 bytes"},
		{"seed not a number", "/api/v1/run/hello?seed=x", "x", nil, 400, "seed", `"x"`},
		{"seed negative", "/api/v1/run/hello?seed=-1", "x", nil, 400, "seed", `"-1"`},
		{"seed overflow", "/api/v1/run/hello?seed=18446744073709551616", "x", nil, 400, "seed", "18446744073709551616"},
		{"seed twice", "/api/v1/run/hello?seed=1&seed=2", "x", nil, 400, "seed", "more than once"},
		{"invalid UTF-8 query", "/api/v1/run/hello?name=%ff", "x", nil, 400, "query", "not valid UTF-8"},
		{"bad bracket key", "/api/v1/run/hello?a[b]=1", "x", nil, 400, "a[b]", "name[index][field]"},
		{"index gap", "/api/v1/run/hello?r[0][m]=GET&r[2][m]=GET", "x", nil, 400, "r", "r[1] is missing"},
		{"plain and indexed", "/api/v1/run/hello?r=1&r[0][m]=GET", "x", nil, 400, "r", "both"},
		{"invalid UTF-8 harness", "/api/v1/run/he%ffllo", "x", nil, 400, "harness", "not valid UTF-8"},
		{"compressed", "/api/v1/run/hello", "x", []string{fiber.HeaderContentEncoding, "br"}, 415, "", "br"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := &fakeService{resp: okResponse(), stubLimit: 32}
			app, _ := testApp(t, svc, Config{MaxBodyBytes: 1024})
			r := do(t, app, fiber.MethodPost, tc.target, []byte(tc.body), tc.headers...)
			p := assertProblem(t, r, tc.code, StatusInvalidRequest, tc.field)
			assert.Contains(t, p.Message, tc.message)
			assert.Zero(t, svc.callCount(), "a bad request never reaches the service")
		})
	}
}

func TestRunBadlyEscapedHarness(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	// httptest.NewRequest refuses a bad escape, so it is put on the
	// request line afterwards.
	req := httptest.NewRequest(fiber.MethodPost, "/api/v1/run/x", strings.NewReader("fn main() {}"))
	req.RequestURI = "/api/v1/run/he%zzllo"
	req.Host = "localhost"
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := result{code: resp.StatusCode, header: resp.Header, body: body}
	p := assertProblem(t, r, fiber.StatusBadRequest, StatusInvalidRequest, "harness")
	assert.Contains(t, p.Message, "escaped")
	assert.Zero(t, svc.callCount())
}
