package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

func TestExecuteHappyPath(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	stub := "fn main() {\n    println!(\"héllo <b>\\n\");\n}\n"
	stubJSON, err := json.Marshal(stub)
	require.NoError(t, err)
	body := `{"harness":"hello","stub":` + string(stubJSON) +
		`,"args":{ "requests": [{"method":"GET","uri":"/"}] },"seed":18446744073709551615}`

	r := postJSON(t, app, body)

	require.Equal(t, fiber.StatusOK, r.code, "body %s", r.body)
	assert.Equal(t, fiber.MIMEApplicationJSON, r.header.Get(fiber.HeaderContentType))
	want, err := json.Marshal(okResponse())
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(r.body))
	assert.Contains(t, string(r.body), `"stdout":"<html>&amp;</html>\n"`, "HTML is not escaped")

	req := svc.lastCall(t)
	assert.Equal(t, "hello", req.Harness)
	assert.Equal(t, stub, req.Stub)
	assert.Equal(t, `{ "requests": [{"method":"GET","uri":"/"}] }`, string(req.Args), "args arrive as sent")
	require.NotNil(t, req.Seed)
	assert.Equal(t, uint64(18446744073709551615), *req.Seed)
}

func TestExecuteSameResultSameBytes(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	body := `{"harness":"hello","stub":"fn main() {}"}`
	first := postJSON(t, app, body)
	second := postJSON(t, app, body)
	require.Equal(t, fiber.StatusOK, first.code)
	assert.Equal(t, string(first.body), string(second.body))
	assert.True(t, strings.HasSuffix(string(first.body), "}\n"))
}

func TestExecuteOptionalFields(t *testing.T) {
	cases := map[string]string{
		"absent":             `{"harness":"hello","stub":"fn main() {}"}`,
		"null":               `{"harness":"hello","stub":"fn main() {}","args":null,"seed":null}`,
		"no content type":    "",
		"charset":            "",
		"whitespace framing": " \n\t{\"harness\":\"hello\",\"stub\":\"fn main() {}\"}\r\n ",
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			svc := &fakeService{resp: okResponse()}
			app, _ := testApp(t, svc, Config{})
			var r result
			switch name {
			case "no content type":
				r = do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(`{"harness":"hello","stub":"fn main() {}"}`))
			case "charset":
				r = do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(`{"harness":"hello","stub":"fn main() {}"}`),
					fiber.HeaderContentType, "application/json; charset=UTF-8")
			default:
				r = postJSON(t, app, body)
			}
			require.Equal(t, fiber.StatusOK, r.code, "body %s", r.body)
			req := svc.lastCall(t)
			assert.Equal(t, `{}`, string(req.Args), "absent or null args mean {}")
			assert.Nil(t, req.Seed)
			assert.Equal(t, "fn main() {}", req.Stub)
		})
	}
}

func TestExecuteSeedZero(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	r := postJSON(t, app, `{"harness":"hello","stub":"x","seed":0}`)
	require.Equal(t, fiber.StatusOK, r.code)
	req := svc.lastCall(t)
	require.NotNil(t, req.Seed, "seed 0 is a seed, not an absent one")
	assert.Equal(t, uint64(0), *req.Seed)
}

func TestExecuteBadInput(t *testing.T) {
	cases := []struct {
		name        string
		body        string
		contentType string // empty means application/json
		code        int
		field       string
		message     string // a substring the message must hold
	}{
		{"malformed", `{"harness":"hello" "stub":"x"}`, "", 400, "", "line 1, column"},
		{"malformed multiline", "{\n  \"harness\": \"hello\",\n  \"stub\": tru\n}", "", 400, "", "line 3"},
		{"truncated", `{"harness":"hello","stub":"x"`, "", 400, "", "ends before"},
		{"trailing comma", `{"harness":"hello","stub":"x",}`, "", 400, "", "malformed JSON"},
		{"trailing object", `{"harness":"hello","stub":"x"}{}`, "", 400, "", "after the JSON object"},
		{"trailing garbage", `{"harness":"hello","stub":"x"} x`, "", 400, "", "after the JSON object"},
		{"empty body", ``, "", 400, "", "empty"},
		{"blank body", " \n ", "", 400, "", "empty"},
		{"array body", `[]`, "", 400, "", "not an array"},
		{"null body", `null`, "", 400, "", "not null"},
		{"string body", `"x"`, "", 400, "", "not a string"},
		{"unknown field", `{"harness":"hello","stub":"x","stdin":""}`, "", 400, "stdin", `unknown field "stdin"`},
		{"field case matters", `{"Harness":"hello","stub":"x"}`, "", 400, "Harness", "unknown field"},
		{"duplicate field", `{"harness":"hello","stub":"x","stub":"y"}`, "", 400, "stub", "more than once"},
		{"stub number", `{"harness":"hello","stub":5}`, "", 400, "stub", "must be a string, not a number"},
		{"stub null", `{"harness":"hello","stub":null}`, "", 400, "stub", "must be a string"},
		{"harness object", `{"harness":{},"stub":"x"}`, "", 400, "harness", "must be a string, not an object"},
		{"args array", `{"harness":"hello","stub":"x","args":[]}`, "", 400, "args", "must be a JSON object, not an array"},
		{"args string", `{"harness":"hello","stub":"x","args":"{}"}`, "", 400, "args", "not a string"},
		{"seed string", `{"harness":"hello","stub":"x","seed":"x"}`, "", 400, "seed", "not a string"},
		{"seed numeric string", `{"harness":"hello","stub":"x","seed":"5"}`, "", 400, "seed", "not a string"},
		{"seed negative", `{"harness":"hello","stub":"x","seed":-1}`, "", 400, "seed", "the number -1"},
		{"seed fraction", `{"harness":"hello","stub":"x","seed":1.5}`, "", 400, "seed", "the number 1.5"},
		{"seed exponent", `{"harness":"hello","stub":"x","seed":1e3}`, "", 400, "seed", "the number 1e3"},
		{"seed overflow", `{"harness":"hello","stub":"x","seed":18446744073709551616}`, "", 400, "seed", "18446744073709551616"},
		{"seed bool", `{"harness":"hello","stub":"x","seed":true}`, "", 400, "seed", "a boolean"},
		{"missing harness", `{"stub":"x"}`, "", 400, "harness", "required"},
		{"empty harness", `{"harness":"","stub":"x"}`, "", 400, "harness", "required"},
		{"missing stub", `{"harness":"hello"}`, "", 400, "stub", "required"},
		{"empty stub", `{"harness":"hello","stub":""}`, "", 400, "stub", "required"},
		{"invalid UTF-8 in stub", "{\"harness\":\"hello\",\"stub\":\"fn \xff main\"}", "", 400, "", "offset 30"},
		{"invalid UTF-8 in key", "{\"harn\xc3ess\":\"hello\",\"stub\":\"x\"}", "", 400, "", "not valid UTF-8"},
		{"text/plain", `{"harness":"hello","stub":"x"}`, "text/plain", 415, "", "text/plain"},
		{"form", `{"harness":"hello","stub":"x"}`, "application/x-www-form-urlencoded", 415, "", "application/json"},
		{"latin1 charset", `{"harness":"hello","stub":"x"}`, "application/json; charset=latin1", 415, "", "latin1"},
		{"garbled content type", `{"harness":"hello","stub":"x"}`, "application/json; ;;", 415, "", "application/json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := &fakeService{resp: okResponse()}
			app, _ := testApp(t, svc, Config{})
			ct := tc.contentType
			if ct == "" {
				ct = fiber.MIMEApplicationJSON
			}
			r := do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(tc.body), fiber.HeaderContentType, ct)
			p := assertProblem(t, r, tc.code, StatusInvalidRequest, tc.field)
			assert.Contains(t, p.Message, tc.message)
			assert.Zero(t, svc.callCount(), "a bad request never reaches the service")
		})
	}
}

func TestExecuteCompressedBodyRefused(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	r := do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(`{"harness":"hello","stub":"x"}`),
		fiber.HeaderContentType, fiber.MIMEApplicationJSON, fiber.HeaderContentEncoding, "gzip")
	p := assertProblem(t, r, fiber.StatusUnsupportedMediaType, StatusInvalidRequest, "")
	assert.Contains(t, p.Message, "gzip")
	assert.Zero(t, svc.callCount())
}

func TestExecuteStubLimit(t *testing.T) {
	svc := &fakeService{resp: okResponse(), stubLimit: 8}
	app, _ := testApp(t, svc, Config{})

	r := postJSON(t, app, `{"harness":"hello","stub":"12345678"}`)
	assert.Equal(t, fiber.StatusOK, r.code, "a stub of exactly the limit is allowed")

	r = postJSON(t, app, `{"harness":"hello","stub":"123456789"}`)
	p := assertProblem(t, r, fiber.StatusRequestEntityTooLarge, StatusInvalidRequest, "stub")
	assert.Contains(t, p.Message, "9 bytes")

	// The limit is on UTF-8 bytes, not characters or JSON escapes: "é" is 2.
	r = postJSON(t, app, `{"harness":"hello","stub":"éééé\u00e9"}`)
	assertProblem(t, r, fiber.StatusRequestEntityTooLarge, StatusInvalidRequest, "stub")
	assert.Equal(t, 1, svc.callCount())
}

func TestExecuteServiceHarnessRequiredStays400(t *testing.T) {
	// An unknown harness is 404 (not_found); a missing one is a plain 400.
	svc := &fakeService{err: sandbox.Errorf(sandbox.CodeNotFound, "harness", "unknown harness")}
	app, _ := testApp(t, svc, Config{})
	r := postJSON(t, app, `{"stub":"x"}`)
	assertProblem(t, r, fiber.StatusBadRequest, StatusInvalidRequest, "harness")
	assert.Zero(t, svc.callCount())
}
