package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/metrics"
	"github.com/rocket-sandbox/rocket-sandbox/openapi"
	"github.com/rocket-sandbox/rocket-sandbox/openapi/conformance"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// contractApp is the app over a fake service with the real harnesses, and
// its contract as served at /openapi.json.
func contractApp(t *testing.T, svc *fakeService) (*fiber.App, *conformance.Contract) {
	t.Helper()
	svc.harnesses = sandbox.HarnessInfos(harnesses.Default())
	app := New(Config{}, svc, slog.New(slog.DiscardHandler), WithMetrics(metrics.New()))
	r := do(t, app, fiber.MethodGet, routeOpenAPI, nil)
	require.Equal(t, http.StatusOK, r.code)
	c, err := conformance.Load(r.body)
	require.NoError(t, err)
	return app, c
}

// Every route the app registers is an operation of the contract, and
// every operation a route: a method the contract does not list on a
// registered path must be the 405 catch-all.
func TestEveryRouteIsInTheContractAndBack(t *testing.T) {
	app, c := contractApp(t, &fakeService{resp: okResponse()})
	registered := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		registered[r.Method+" "+openapi.PathOf(r.Path)] = true
	}
	ops := c.Operations()
	sort.Strings(ops)
	for _, op := range ops {
		assert.True(t, registered[op], "the contract lists %s, which the server does not register", op)
	}
	for route := range registered {
		method, path, _ := strings.Cut(route, " ")
		if _, ok := c.Match(method, concrete(path)); ok {
			continue
		}
		// Not in the contract: only the catch-all that answers 405
		// with Allow may be registered there, and only beside an
		// operation on the same path.
		r := do(t, app, method, concrete(path), nil)
		assert.Equal(t, http.StatusMethodNotAllowed, r.code, "%s is registered but not in the contract", route)
		assert.NotEmpty(t, r.header.Get(fiber.HeaderAllow), route)
	}
}

// concrete fills a path template's parameters with a value.
func concrete(tmpl string) string {
	parts := strings.Split(tmpl, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			parts[i] = "x"
		}
	}
	return strings.Join(parts, "/")
}

// The answers of every route, success and failure, are what the contract
// says (the e2e contract test does the same against the real service).
func TestAnswersMatchTheContract(t *testing.T) {
	app, c := contractApp(t, &fakeService{resp: okResponse()})
	busy, _ := contractApp(t, &fakeService{err: &sandbox.Error{Code: sandbox.CodeOverloaded, Message: "busy"}})
	jsonCT := []string{fiber.HeaderContentType, fiber.MIMEApplicationJSON}
	cases := []struct {
		app          *fiber.App
		method, path string
		body         string
		headers      []string
		code         int
	}{
		{app, "POST", "/api/v1/execute", `{"harness":"program","stub":"fn main(){}","args":{"stdin":"x"},"seed":7}`, jsonCT, 200},
		{app, "POST", "/api/v1/execute", `{"harness":"program","stub":"fn main(){}","seed":-1}`, jsonCT, 400},
		{app, "POST", "/api/v1/execute", `{"harness":"program"}`, []string{fiber.HeaderContentType, "text/plain"}, 415},
		{app, "POST", "/api/v1/execute", `{"harness":"program","stub":"` + strings.Repeat("x", 100<<10) + `"}`, jsonCT, 413},
		{busy, "POST", "/api/v1/execute", `{"harness":"program","stub":"fn main(){}"}`, jsonCT, 503},
		{app, "POST", "/api/v1/run/program?stdin=1&seed=3", "fn main(){}", nil, 200},
		{app, "POST", "/api/v1/run/program?a[]=1", "fn main(){}", nil, 400},
		{app, "GET", "/api/v1/harnesses", "", nil, 200},
		{app, "GET", "/api/v1/harnesses", "", []string{fiber.HeaderHost, "evil.example"}, 421},
		{app, "GET", "/healthz", "", nil, 200},
		{app, "GET", "/metrics", "", nil, 200},
		{app, "GET", "/openapi.json", "", nil, 200},
		{app, "GET", "/docs", "", nil, 200},
		{app, "GET", "/docs/docs.js", "", nil, 200},
		{app, "GET", "/docs/docs.css", "", nil, 200},
		{app, "GET", "/docs/nope.js", "", nil, 404},
		{app, "GET", "/", "", nil, 200},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path+" "+http.StatusText(tc.code), func(t *testing.T) {
			r := do(t, tc.app, tc.method, tc.path, []byte(tc.body), tc.headers...)
			require.Equal(t, tc.code, r.code, "%s", r.body)
			path, _, _ := strings.Cut(tc.path, "?")
			assert.NoError(t, c.CheckResponse(tc.method, path, r.code, r.header.Get(fiber.HeaderContentType), r.body))
			if r.code == http.StatusOK && tc.body != "" {
				ct := fiber.MIMEApplicationJSON
				if len(tc.headers) == 0 {
					ct = "text/plain"
				}
				assert.NoError(t, c.CheckRequest(tc.method, path, ct, []byte(tc.body)))
			}
		})
	}
}

// The contract rejects what the server would not send: the check above
// can fail.
func TestTheContractRejectsWrongShapes(t *testing.T) {
	_, c := contractApp(t, &fakeService{resp: okResponse()})
	for _, bad := range []string{
		`{"status":"ok"}`, // required fields missing
		`{"status":"fine","harness":"program","seed":"1","compile":null,"run":null}`,            // not a result status
		`{"status":"ok","harness":"program","seed":"1","compile":null,"run":null,"extra":true}`, // a field the contract lacks
		`{"status":"ok","harness":"program","seed":1,"compile":null,"run":null}`,                // a number seed
		`{"status":"invalid_request","error":"x"}`,                                              // a Problem where a result belongs
	} {
		assert.Error(t, c.CheckResponse("POST", "/api/v1/execute", 200, "application/json", []byte(bad)), bad)
	}
	assert.NoError(t, c.CheckResponse("POST", "/api/v1/execute", 200, "application/json",
		[]byte(`{"status":"ok","harness":"program","seed":"1","compile":null,"run":null}`)))
	assert.Error(t, c.CheckResponse("POST", "/api/v1/execute", 418, "application/json", []byte(`{}`)), "an undeclared status")
	assert.Error(t, c.CheckRequest("POST", "/api/v1/execute", "application/json",
		[]byte(`{"harness":"program","stub":"x","args":{"requests":[]}}`)), "args of another harness")
	assert.Error(t, c.CheckRequest("POST", "/api/v1/execute", "application/json",
		[]byte(`{"harness":"nope","stub":"x"}`)), "an unknown harness")
}

// Each harness's args schema is in the contract, as served.
func TestTheContractHasEachHarnessArgsSchema(t *testing.T) {
	svc := &fakeService{}
	app, _ := contractApp(t, svc)
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(do(t, app, "GET", routeOpenAPI, nil).body, &doc))
	for _, h := range svc.harnesses {
		got, ok := doc.Components.Schemas["Args."+h.ID]
		require.True(t, ok, h.ID)
		assert.JSONEq(t, string(h.ArgsSchema), string(got), h.ID)
	}
}
