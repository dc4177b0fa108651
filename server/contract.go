package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/openapi"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// The contract's routes that are not the API's.
const (
	routeOpenAPI   = "/openapi.json"
	routeDocs      = "/docs"
	routeDocsAsset = "/docs/:asset"
)

// Contract is the OpenAPI 3.1 document of the routes a server with these
// harnesses registers: the one description of the API, served at
// /openapi.json, rendered at /docs, and the source the Go client's types
// are generated from (client/). Its schemas are reflected from the types
// the handlers encode (sandbox.Response, Problem, ...); what Go types
// cannot say (enums, bounds, the request's per-harness args) is stated
// here. A route added to the server must be added to contractRoutes: the
// contract tests fail otherwise (server/contract_test.go, e2e); then run
// `go generate ./client`, whose test fails while the client's copy of the
// contract is stale.
func Contract(harnesses []sandbox.HarnessInfo) (*openapi.Document, error) {
	s := contractSchemas(harnesses)
	return openapi.New(openapi.Info{
		Title:   "rocket-sandbox",
		Version: "v1",
		Description: "Compiles and runs untrusted Rocket 0.5.1 stubs in a sandbox and says what happened. " +
			"A program that fails is a 200 with a status; a refused request is an error with one body shape (Problem). " +
			"docs/api.md is the prose reference.",
	}, contractTags, contractRoutes(), s)
}

var contractTags = []openapi.Tag{
	{Name: "run", Description: "Compile and run a stub."},
	{Name: "tools", Description: "The playground's Format and Clippy buttons."},
	{Name: "share", Description: "Share links: playground states stored by their hash."},
	{Name: "compat", Description: "Endpoints in other tools' shapes (the Rust playground's, for mdBook)."},
	{Name: "service", Description: "Health, metrics and this contract."},
	{Name: "web", Description: "The browser face: pages and their assets (not JSON)."},
}

// requestLimitsSchema is the request's limits: each optional, from its
// floor to the ceiling any server may be configured with; the server's
// own maximum (service.max_request_limits, else the default) is lower,
// and a value above it is a 400 naming the field and the maximum.
func requestLimitsSchema() openapi.Schema {
	var l sandbox.Limits
	ceil := sandbox.LimitCeilings()
	props := openapi.Schema{}
	for i, f := range l.Fields() {
		props[f.Key] = openapi.Schema{"type": "integer", "format": "int64", "minimum": f.Floor, "maximum": *ceil.Fields()[i].Value}
	}
	return openapi.Schema{"type": "object", "additionalProperties": false, "properties": props,
		"description": "Lowers or raises the server's limits for this request, each up to the server's maximum " +
			"(service.max_request_limits; a limit without one can only be lowered); above it: 400 invalid_request naming the field and the maximum. " +
			"Absent: the server's default. The response's limits say what the request ran under."}
}

func contractSchemas(harnesses []sandbox.HarnessInfo) *openapi.Schemas {
	s := openapi.NewSchemas()
	s.Name("ExecuteResponse", sandbox.Response{})
	s.Name("CompileReport", sandbox.CompileReport{})
	s.Name("RunReport", sandbox.RunReport{})
	s.Name("Usage", sandbox.Usage{})
	s.Name("CacheReport", sandbox.CacheReport{})
	s.Name("Diagnostic", outcome.Diagnostic{})
	s.Name("HarnessInfo", sandbox.HarnessInfo{})
	s.Name("Problem", Problem{})
	s.Name("ResultStatus", outcome.Status(""))
	s.Enum(outcome.Status(""), string(outcome.StatusOK), string(outcome.StatusCompileError),
		string(outcome.StatusRuntimeError), string(outcome.StatusTimeout),
		string(outcome.StatusMemoryLimit), string(outcome.StatusOutputLimit))
	s.Name("Limit", outcome.Limit(""))
	s.Enum(outcome.Limit(""), string(outcome.LimitTime), string(outcome.LimitMemory), string(outcome.LimitOutput))
	s.Name("Limits", sandbox.Limits{})
	s.Name("CacheTier", cache.Tier(""))
	s.Enum(cache.Tier(""), string(cache.Miss), string(cache.Memory), string(cache.Disk), string(cache.Redis))
	s.Field("Problem.status", openapi.Schema{"type": "string",
		"enum": []string{StatusInvalidRequest, StatusNotFound, StatusRateLimited, StatusOverloaded, StatusTimeout, StatusInternalError}})
	s.Field("ExecuteResponse.result", openapi.Schema{"type": "object",
		"description": "The harness's verdict on the whole request, for harnesses that give one (example: {outcome, reason})."})
	s.Field("RunReport.result", openapi.Schema{"type": "object",
		"description": "The harness's structured reading of the run (serve, mock: the responses)."})
	s.Field("RunReport.exit_code", openapi.Schema{"type": []string{"integer", "null"}, "format": "int32",
		"description": "null when the program never exited (a trap or a limit)."})
	s.Field("HarnessInfo.args_schema", openapi.Schema{"type": "object",
		"description": "The JSON Schema of this harness's args (also in components as Args.<id>)."})
	s.Field("HarnessInfo.example", openapi.Ref("ExecuteRequest"))

	// The request: its four fields, and per harness the schema of args.
	ids := make([]string, 0, len(harnesses))
	var perHarness []openapi.Schema
	for _, h := range harnesses {
		ids = append(ids, h.ID)
	}
	sort.Strings(ids)
	byID := map[string]sandbox.HarnessInfo{}
	for _, h := range harnesses {
		byID[h.ID] = h
	}
	for _, id := range ids {
		name := "Args." + id
		s.Add(name, rawSchema(byID[id].ArgsSchema))
		perHarness = append(perHarness, openapi.Schema{
			"if":   openapi.Schema{"properties": openapi.Schema{"harness": openapi.Schema{"const": id}}},
			"then": openapi.Schema{"properties": openapi.Schema{"args": openapi.Nullable(openapi.Ref(name))}},
		})
	}
	req := openapi.Schema{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"harness"},
		// A stub, or a project's files, or both (the stub is then the
		// crate root, src/main.rs).
		"anyOf": []openapi.Schema{{"required": []string{"stub"}}, {"required": []string{"files"}}},
		"properties": openapi.Schema{
			"harness": openapi.Schema{"type": "string", "enum": ids, "description": "Which harness wraps the stub (GET /api/v1/harnesses)."},
			"stub":    openapi.Schema{"type": "string", "minLength": 1, "description": "The Rust source; at most the stub limit (64 KiB by default) of UTF-8."},
			"files": openapi.Schema{"type": []string{"object", "null"},
				"additionalProperties": openapi.Schema{"oneOf": []openapi.Schema{
					{"type": "string", "description": "The file's content as UTF-8 text."},
					openapi.Ref("FileBytes"),
				}},
				"description": "A project: relative path → content, UTF-8 text as a string or any bytes as FileBytes (src/main.rs or src/lib.rs, modules, Cargo.toml, Rocket.toml, templates/, static/, a SQLite database, …); at most 64 files and 1 MiB of decoded bytes by default. docs/api.md, \"Projects\"."},
			"args": openapi.Schema{"type": []string{"object", "null"}, "description": "The harness's arguments (Args.<harness>); absent or null means {}."},
			"seed": openapi.Schema{"type": []string{"integer", "null"}, "format": "uint64", "minimum": 0,
				"maximum": uint64(1<<64 - 1), "description": "Seeds the program's random source; absent: derived from the request."},
			"session": openapi.Schema{"type": []string{"string", "null"}, "minLength": sandbox.MinSessionBytes, "maxLength": sandbox.MaxSessionBytes,
				"pattern": "^[A-Za-z0-9_-]+$", "description": "The client's editing-session token, chosen at random (22 characters are 128 bits): compiles of the same client, session and project start from the incremental directory the previous one left (docs/api.md, \"Sessions\"). It never changes a result."},
		},
	}
	if len(perHarness) > 0 {
		req["allOf"] = perHarness
	}
	req["properties"].(openapi.Schema)["limits"] = openapi.Nullable(openapi.Ref("RequestLimits"))
	s.Add("RequestLimits", requestLimitsSchema())
	s.Add("FileBytes", openapi.Schema{"type": "object", "additionalProperties": false, "required": []string{"content", "encoding"},
		"description": "A project file's bytes (an image, a font, a SQLite database: anything that is not UTF-8 text). The same bytes sent as text are the same file.",
		"properties": openapi.Schema{
			"content":  openapi.Schema{"type": "string", "contentEncoding": "base64", "pattern": "^[A-Za-z0-9+/]*={0,2}$", "description": "The bytes in standard padded base64 (RFC 4648 §4), on one line."},
			"encoding": openapi.Schema{"type": "string", "enum": []string{sandbox.FileEncodingBase64}},
		}})
	s.Add("ExecuteRequest", req)
	s.Add("HarnessList", openapi.Schema{"type": "object", "additionalProperties": false, "required": []string{"harnesses"},
		"properties": openapi.Schema{"harnesses": openapi.Schema{"type": "array", "items": s.Of(sandbox.HarnessInfo{})}}})
	s.Add("Health", openapi.Schema{"type": "object", "additionalProperties": false, "required": []string{"status"},
		"description": "degraded: the replica serves from its local tiers because its shared tier (Redis) does not answer; still a 200.",
		"properties": openapi.Schema{
			"status": openapi.Schema{"type": "string", "enum": []string{"ok", "degraded"}},
			"redis":  openapi.Schema{"type": "string", "enum": []string{"up", "down"}, "description": "Absent without a shared tier."}}})
	s.Add("FormatRequest", openapi.Schema{"type": "object", "additionalProperties": false, "required": []string{"stub"},
		"properties": openapi.Schema{
			"stub":    openapi.Schema{"type": "string", "minLength": 1, "description": "The Rust source to format; at most the stub limit."},
			"edition": openapi.Schema{"type": "string", "enum": edition.All(), "description": "The edition rustfmt parses (default " + edition.Default + ")."},
		}})
	s.Name("FormatResponse", sandbox.FormatResponse{})
	s.Field("FormatResponse.status", openapi.Schema{"type": "string", "enum": []string{string(outcome.StatusOK), sandbox.FormatStatusError}})
	s.Field("FormatResponse.stub", openapi.Schema{"type": "string", "description": "The formatted stub (status ok)."})
	s.Field("FormatResponse.stderr", openapi.Schema{"type": "string", "description": "rustfmt's message, at the stub's lines (status format_error)."})
	s.Of(sandbox.FormatResponse{})
	s.Name("ClippyResponse", sandbox.ClippyResponse{})
	s.Field("ClippyResponse.compile", openapi.Nullable(openapi.Ref("CompileReport")))
	s.Of(sandbox.ClippyResponse{})
	s.Add("ShareRequest", openapi.Schema{"type": "object", "additionalProperties": false, "required": []string{"state"},
		"properties": openapi.Schema{"state": openapi.Ref("ExecuteRequest")}})
	s.Add("ShareBody", openapi.Schema{"type": "object", "additionalProperties": false, "required": []string{"state"},
		"properties": openapi.Schema{"state": openapi.Ref("ExecuteRequest")}})
	s.Name("ShareCreated", shareCreated{})
	s.Of(shareCreated{})
	s.Name("EvaluateRequest", evaluateWire{})
	s.Of(evaluateWire{})
	s.Name("EvaluateResponse", evaluateAnswer{})
	s.Field("EvaluateResponse.error", openapi.Schema{"type": []string{"string", "null"}, "description": "Why nothing ran; null when it ran."})
	s.Of(evaluateAnswer{})
	s.Of(sandbox.Response{})
	s.Of(Problem{})
	for name, text := range map[string]string{
		"ExecuteRequest":  "A request to compile and run a stub in a harness.",
		"ExecuteResponse": "The answer to an accepted request, whatever became of the program: status says.",
		"CompileReport":   "The compile step; diagnostics are positioned in the stub.",
		"RunReport":       "The run step in wazero.",
		"Usage":           "What a step used, and the limit that ended it, if one did.",
		"CacheReport":     "Where the answer (result) and the compiled module (module) came from.",
		"CacheTier":       "A cache tier, or miss.",
		"Diagnostic":      "One compiler message; line and column count in the stub, absent when it points into harness code.",
		"HarnessInfo":     "A harness: its id, what it does, its args' JSON Schema and an example request.",
		"HarnessList":     "Every harness.",
		"Limit":           "The sandbox limit that ended a step.",
		"Problem":         "The one shape of every failure: a 4xx or 5xx with a status word, a message, and the field at fault when there is one.",
		"ResultStatus":    "How a program ended.",
	} {
		s.Components()[name]["description"] = text
	}
	return s
}

// rawSchema is a harness's args schema as a component.
func rawSchema(raw []byte) openapi.Schema {
	var v openapi.Schema
	if err := json.Unmarshal(raw, &v); err != nil {
		panic(fmt.Sprintf("server: a harness's args schema is not a JSON object: %v", err)) // static, from package harnesses
	}
	return v
}

const mimeJSON = "application/json"

func jsonBody(schema openapi.Schema) map[string]openapi.MediaType {
	return map[string]openapi.MediaType{mimeJSON: {Schema: schema}}
}

func ok(description string, schema openapi.Schema) openapi.Response {
	return openapi.Response{Description: description, Content: jsonBody(schema)}
}

// Failures a route may answer, as the error table and the guards give
// them.
var (
	// Every route is behind the host check; the request line and headers
	// are bounded; a panic is a 500.
	guarded = []int{http.StatusMisdirectedRequest, http.StatusRequestHeaderFieldsTooLarge, http.StatusInternalServerError}
	// The API routes also know their client (API keys, rate limits) and
	// refuse other origins' pages.
	api = append([]int{http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests}, guarded...)
	// And a run can be refused in every way a request can.
	running = append([]int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestTimeout,
		http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout}, api...)
)

// withEvaluateErrors adds, for each code, evaluate.json's refusals: in
// its own shape with error set when the handler refuses, a Problem when
// the guards in front of it do (host, origin, key, body limit).
func withEvaluateErrors(rs map[string]openapi.Response, codes ...int) map[string]openapi.Response {
	withProblems(rs, codes...)
	for _, code := range codes {
		r := rs[strconv.Itoa(code)]
		r.Content = jsonBody(openapi.Schema{"oneOf": []openapi.Schema{openapi.Ref("EvaluateResponse"), openapi.Ref("Problem")}})
		rs[strconv.Itoa(code)] = r
	}
	return rs
}

// withProblems adds a Problem response for each code to rs.
func withProblems(rs map[string]openapi.Response, codes ...int) map[string]openapi.Response {
	for _, code := range codes {
		r := openapi.Response{Description: http.StatusText(code), Content: jsonBody(openapi.Ref("Problem"))}
		switch code {
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			r.Headers = map[string]openapi.Header{"Retry-After": {Description: "Whole seconds to wait before retrying.", Schema: openapi.Schema{"type": "integer", "minimum": 1}}}
		case http.StatusUnauthorized:
			r.Headers = map[string]openapi.Header{"WWW-Authenticate": {Schema: openapi.Schema{"type": "string"}}}
		}
		rs[strconv.Itoa(code)] = r
	}
	return rs
}

// contractRoutes is every route the server registers, with what the
// contract says of it.
func contractRoutes() []openapi.Route {
	explode := true
	result := ok("The request was accepted: whatever became of the program, its status says.", openapi.Ref("ExecuteResponse"))
	return []openapi.Route{
		{Method: http.MethodPost, Path: routeExecute, Operation: openapi.Operation{
			OperationID: "execute", Tags: []string{"run"},
			Summary:     "Compile and run a stub described by a JSON request",
			Description: "Decoding is strict: one JSON object, only these fields, each once and of its type; every refusal names its field.",
			RequestBody: &openapi.RequestBody{Required: true, Content: jsonBody(openapi.Ref("ExecuteRequest"))},
			Responses:   withProblems(map[string]openapi.Response{"200": result}, running...),
		}},
		{Method: http.MethodPost, Path: routeStream, Operation: openapi.Operation{
			OperationID: "executeStream", Tags: []string{"run"},
			Summary: "The same request as execute, its progress as Server-Sent Events, then its answer",
			Description: "Events, each `event: NAME` and one `data:` line of JSON: queued {position} (again as it changes), compiling {}, " +
				"compiled {status: ok|compile_error, diagnostics: [Diagnostic]}, running {}, then exactly one of result (data: execute's body, " +
				"byte for byte, without its final newline) or error (data: a Problem plus http_status). A memoized answer sends only result. " +
				"Comment lines `: ping` every server.stream_heartbeat_ms while nothing else is sent. A refusal before the stream starts is " +
				"the usual Problem with its status.",
			RequestBody: &openapi.RequestBody{Required: true, Content: jsonBody(openapi.Ref("ExecuteRequest"))},
			Responses:   withProblems(map[string]openapi.Response{"200": page("The stream of events.", "text/event-stream")}, running...),
		}},
		{Method: http.MethodPost, Path: routeRun, Operation: openapi.Operation{
			OperationID: "run", Tags: []string{"run"},
			Summary:     "The same, curl-friendly: the body is the stub, the query string is the args",
			Description: "Any Content-Type. Query keys become args (repeated keys a list, name[i][field] a list of objects), except seed.",
			Parameters: []openapi.Parameter{
				{Name: "harness", In: "path", Required: true, Schema: openapi.Schema{"type": "string"}, Description: "The harness's id."},
				{Name: "seed", In: "query", Schema: openapi.Schema{"type": "string", "pattern": "^[0-9]+$"}, Description: "The request's seed, 0 … 2^64−1."},
				{Name: "args", In: "query", Style: "form", Explode: &explode, Description: "Every other key is an arg (see docs/api.md).",
					Schema: openapi.Schema{"type": "object", "additionalProperties": openapi.Schema{"type": "string"}}},
			},
			RequestBody: &openapi.RequestBody{Required: true, Description: "The stub, byte for byte.",
				Content: map[string]openapi.MediaType{"*/*": {Schema: openapi.Schema{"type": "string"}}}},
			Responses: withProblems(map[string]openapi.Response{"200": result}, running...),
		}},
		{Method: http.MethodPost, Path: routeFormat, Operation: openapi.Operation{
			OperationID: "format", Tags: []string{"tools"},
			Summary: "Format a stub with rustfmt (in the compile jail)",
			Description: "The stub is rustfmt's whole input (standard input, no configuration file is looked for, no module is followed), " +
				"so its messages are at the stub's own lines. A stub rustfmt cannot format is a 200 with status format_error.",
			RequestBody: &openapi.RequestBody{Required: true, Content: jsonBody(openapi.Ref("FormatRequest"))},
			Responses:   withProblems(map[string]openapi.Response{"200": ok("Formatted, or why not.", openapi.Ref("FormatResponse"))}, running...),
		}},
		{Method: http.MethodPost, Path: routeClippy, Operation: openapi.Operation{
			OperationID: "clippy", Tags: []string{"tools"},
			Summary: "Check a request with Clippy (clippy-driver in the compile jail, as the harness's compile)",
			Description: "The execute body. The harness plans it as for a run; its source is checked with the compile's command line. " +
				"compile.diagnostics are the compiler's and Clippy's (as warnings) at the stub's lines; lints in the harness's own code are left out.",
			RequestBody: &openapi.RequestBody{Required: true, Content: jsonBody(openapi.Ref("ExecuteRequest"))},
			Responses:   withProblems(map[string]openapi.Response{"200": ok("What Clippy found.", openapi.Ref("ClippyResponse"))}, running...),
		}},
		{Method: http.MethodPost, Path: routeShares, Operation: openapi.Operation{
			OperationID: "createShare", Tags: []string{"share"},
			Summary: "Store a playground state under an id a link can carry",
			Description: "The id is a hash of the state's canonical JSON (the same state, the same id; never sequential). " +
				"The state is checked as a request is (harness known, stub within its limit, args an object) but not run. " +
				"Kept within a byte budget, least recently used first out.",
			RequestBody: &openapi.RequestBody{Required: true, Content: jsonBody(openapi.Ref("ShareRequest"))},
			Responses: withProblems(map[string]openapi.Response{"201": {Description: "Stored.", Content: jsonBody(openapi.Ref("ShareCreated")),
				Headers: map[string]openapi.Header{"Location": {Description: "Where the state is read back.", Schema: openapi.Schema{"type": "string"}}}}},
				append([]int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestTimeout, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType}, api...)...),
		}},
		{Method: http.MethodGet, Path: routeShare, Operation: openapi.Operation{
			OperationID: "getShare", Tags: []string{"share"},
			Summary:    "A stored playground state",
			Parameters: []openapi.Parameter{{Name: "id", In: "path", Required: true, Schema: openapi.Schema{"type": "string", "pattern": "^[A-Za-z0-9_-]{24}$"}, Description: "The id POST /api/v1/shares answered."}},
			Responses: withProblems(map[string]openapi.Response{"200": ok("The state, as canonical JSON.", openapi.Ref("ShareBody"))},
				append([]int{http.StatusBadRequest, http.StatusNotFound}, api...)...),
		}},
		{Method: http.MethodPost, Path: routeEvaluate, Operation: openapi.Operation{
			OperationID: "evaluate", Tags: []string{"compat"},
			Summary: "The Rust playground's evaluate.json, as mdBook's play button calls it",
			Description: "code runs as the example harness (a documentation block, as rustdoc runs it); version and optimize are read and not used " +
				"(one toolchain). result is stdout, then the compiler's and the program's stderr; error says why nothing ran, with the refusal's HTTP status.",
			RequestBody: &openapi.RequestBody{Required: true, Content: jsonBody(openapi.Ref("EvaluateRequest"))},
			Responses: withEvaluateErrors(map[string]openapi.Response{"200": ok("What the program and the compiler wrote.", openapi.Ref("EvaluateResponse"))},
				running...),
		}},
		{Method: http.MethodGet, Path: routeHarnesses, Operation: openapi.Operation{
			OperationID: "listHarnesses", Tags: []string{"run"},
			Summary:   "The harnesses, with the JSON Schema of each one's args and an example request",
			Responses: withProblems(map[string]openapi.Response{"200": ok("The harnesses.", openapi.Ref("HarnessList"))}, api...),
		}},
		{Method: http.MethodGet, Path: routeHealth, Operation: openapi.Operation{
			OperationID: "health", Tags: []string{"service"},
			Summary:   "Liveness: the server is up (the compiler is not exercised), and whether its shared tier answers",
			Responses: withProblems(map[string]openapi.Response{"200": ok("Up (possibly degraded).", openapi.Ref("Health"))}, guarded...),
		}},
		{Method: http.MethodGet, Path: routeMetrics, Operation: openapi.Operation{
			OperationID: "metrics", Tags: []string{"service"},
			Summary:     "Prometheus metrics (text exposition format 0.0.4)",
			Description: "Requests by route and code, compile/run durations, queue wait, jobs in flight by phase, results by status and harness, cache lookups and bytes by tier, jail set-up failures, wazero compile time. docs/operations.md says which to alert on.",
			Responses:   withProblems(map[string]openapi.Response{"200": page("The metrics.", "text/plain; version=0.0.4; charset=utf-8")}, guarded...),
		}},
		{Method: http.MethodGet, Path: routeOpenAPI, Operation: openapi.Operation{
			OperationID: "openapi", Tags: []string{"service"},
			Summary:   "This contract, as OpenAPI 3.1 JSON",
			Responses: withProblems(map[string]openapi.Response{"200": ok("The document.", openapi.Schema{"type": "object"})}, guarded...),
		}},
		{Method: http.MethodGet, Path: routeDocs, Operation: openapi.Operation{
			OperationID: "docs", Tags: []string{"service"},
			Summary:   "This contract rendered as a page (offline: its assets are embedded)",
			Responses: withProblems(map[string]openapi.Response{"200": page("The page.", "text/html; charset=utf-8")}, guarded...),
		}},
		{Method: http.MethodGet, Path: routeDocsAsset, Operation: openapi.Operation{
			OperationID: "docsAsset", Tags: []string{"service"},
			Summary:    "The docs page's script and stylesheet",
			Parameters: []openapi.Parameter{{Name: "asset", In: "path", Required: true, Schema: openapi.Schema{"type": "string", "enum": []string{"docs.js", "docs.css"}}}},
			Responses: withProblems(map[string]openapi.Response{"200": {Description: "The asset.", Content: map[string]openapi.MediaType{
				"text/javascript; charset=utf-8": {Schema: openapi.Schema{"type": "string"}},
				"text/css; charset=utf-8":        {Schema: openapi.Schema{"type": "string"}}}}}, append([]int{http.StatusNotFound}, guarded...)...),
		}},
		{Method: http.MethodGet, Path: "/", Operation: openapi.Operation{
			OperationID: "playground", Tags: []string{"web"},
			Summary:   "The playground page",
			Responses: withProblems(map[string]openapi.Response{"200": page("The page.", "text/html; charset=utf-8")}, guarded...),
		}},
		{Method: http.MethodGet, Path: "/assets/:name", Operation: openapi.Operation{
			OperationID: "playgroundAsset", Tags: []string{"web"},
			Summary:    "The playground's hashed, immutable assets",
			Parameters: []openapi.Parameter{{Name: "name", In: "path", Required: true, Schema: openapi.Schema{"type": "string"}}},
			Responses:  withProblems(map[string]openapi.Response{"200": page("The asset.", "*/*")}, append([]int{http.StatusNotFound}, guarded...)...),
		}},
		{Method: http.MethodGet, Path: "/s/:id", Operation: openapi.Operation{
			OperationID: "sharePage", Tags: []string{"web"},
			Summary:    "The playground opened on a share (the page loads it from /api/v1/shares/{id})",
			Parameters: []openapi.Parameter{{Name: "id", In: "path", Required: true, Schema: openapi.Schema{"type": "string", "pattern": "^[A-Za-z0-9_-]{8,128}$"}}},
			Responses:  withProblems(map[string]openapi.Response{"200": page("The page.", "text/html; charset=utf-8")}, append([]int{http.StatusNotFound}, guarded...)...),
		}},
		{Method: http.MethodGet, Path: "/embed.js", Operation: openapi.Operation{
			OperationID: "embedScript", Tags: []string{"web"},
			Summary:   "The script other pages include to get a Run button under every Rust block",
			Responses: withProblems(map[string]openapi.Response{"200": page("The script.", "text/javascript; charset=utf-8")}, guarded...),
		}},
		{Method: http.MethodGet, Path: "/guide/", Operation: openapi.Operation{
			OperationID: "guideIndex", Tags: []string{"web"},
			Summary:   "The runnable guide's chapters (404, saying why, when no guide is configured)",
			Responses: withProblems(map[string]openapi.Response{"200": page("The page.", "text/html; charset=utf-8"), "301": {Description: "To the URL with its slash."}}, append([]int{http.StatusNotFound}, guarded...)...),
		}},
		{Method: http.MethodGet, Path: "/guide/:slug/", Operation: openapi.Operation{
			OperationID: "guideChapter", Tags: []string{"web"},
			Summary:    "A chapter of the guide, every Rust block runnable",
			Parameters: []openapi.Parameter{{Name: "slug", In: "path", Required: true, Schema: openapi.Schema{"type": "string"}}},
			Responses:  withProblems(map[string]openapi.Response{"200": page("The page.", "text/html; charset=utf-8"), "301": {Description: "To the URL with its slash."}}, append([]int{http.StatusNotFound}, guarded...)...),
		}},
	}
}

func page(description, media string) openapi.Response {
	return openapi.Response{Description: description, Content: map[string]openapi.MediaType{media: {Schema: openapi.Schema{"type": "string"}}}}
}
