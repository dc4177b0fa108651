package e2e

// The Format and Clippy buttons' endpoints through the HTTP API: rustfmt
// and clippy-driver from Debian's rustfmt-web and rust-web-clippy, run in
// the real compile jail.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

func format(t *testing.T, body map[string]any) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	return post(t, "/api/v1/format", "application/json", b)
}

func decodeFormat(t *testing.T, raw []byte) sandbox.FormatResponse {
	t.Helper()
	var r sandbox.FormatResponse
	require.NoError(t, json.Unmarshal(raw, &r), "%s", raw)
	return r
}

func TestFormatFormatsTheStub(t *testing.T) {
	code, raw := format(t, map[string]any{"stub": "fn  main(){let x=1;println!(\"{}\",x);}\n"})
	require.Equal(t, http.StatusOK, code, "%s", raw)
	r := decodeFormat(t, raw)
	assert.Equal(t, "ok", r.Status)
	assert.Equal(t, "fn main() {\n    let x = 1;\n    println!(\"{}\", x);\n}\n", r.Stub)

	// The edition is rustfmt's: 2015 has no async blocks to parse.
	code, raw = format(t, map[string]any{"stub": "fn main() { let _f = async { 1 }; }\n", "edition": "2015"})
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, sandbox.FormatStatusError, decodeFormat(t, raw).Status)
}

// A syntax error is rustfmt's message at the stub's own line.
func TestFormatErrorIsAtTheStubsLine(t *testing.T) {
	code, raw := format(t, map[string]any{"stub": "// one\nfn main( {\n"})
	require.Equal(t, http.StatusOK, code)
	r := decodeFormat(t, raw)
	assert.Equal(t, sandbox.FormatStatusError, r.Status)
	assert.Contains(t, r.Stderr, "main.rs:2:")
	assert.Empty(t, r.Stub)
}

// rustfmt reads only the stub: an out-of-line module, even one whose
// #[path] names a host file, is formatted as a declaration, not loaded.
func TestFormatFollowsNoFile(t *testing.T) {
	code, raw := format(t, map[string]any{"stub": "#[path=\"/etc/passwd\"] mod a;\nmod b;\nfn main(){}\n"})
	require.Equal(t, http.StatusOK, code, "%s", raw)
	r := decodeFormat(t, raw)
	assert.Equal(t, "ok", r.Status, "%s", r.Stderr)
	assert.Equal(t, "#[path = \"/etc/passwd\"]\nmod a;\nmod b;\nfn main() {}\n", r.Stub)
}

func TestFormatRefusals(t *testing.T) {
	code, raw := format(t, map[string]any{"stub": "fn main() {}", "edition": "2019"})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "edition", decodeProblem(t, raw).Field)
	code, raw = format(t, map[string]any{"stub": ""})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "stub", decodeProblem(t, raw).Field)
	code, raw = format(t, map[string]any{"stub": strings.Repeat("x", 65<<10)})
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Equal(t, server.StatusInvalidRequest, decodeProblem(t, raw).Status)
}

func clippy(t *testing.T, req map[string]any) sandbox.ClippyResponse {
	t.Helper()
	b, err := json.Marshal(req)
	require.NoError(t, err)
	code, raw := post(t, "/api/v1/clippy", "application/json", b)
	require.Equal(t, http.StatusOK, code, "%s", raw)
	var r sandbox.ClippyResponse
	require.NoError(t, json.Unmarshal(raw, &r), "%s", raw)
	require.NotNil(t, r.Compile, "%s", raw)
	return r
}

// lintAt finds the diagnostic whose message contains msg.
func lintAt(t *testing.T, ds []outcome.Diagnostic, msg string) outcome.Diagnostic {
	t.Helper()
	for _, d := range ds {
		if strings.Contains(d.Message, msg) {
			return d
		}
	}
	t.Fatalf("no diagnostic %q in %+v", msg, ds)
	return outcome.Diagnostic{}
}

// Clippy's lints come as warnings at the stub's lines, through a harness
// that rewrites where the stub's lines go (mock) as through one that
// does not (program); the outcome is memoized like a compile.
func TestClippyLintsAtTheStubsLines(t *testing.T) {
	stub := "fn main() {\n    let v: Vec<i32> = Vec::new();\n    if v.len() == 0 {\n        println!(\"empty\");\n    }\n}\n"
	r := clippy(t, map[string]any{"harness": "program", "stub": stub})
	assert.Equal(t, outcome.StatusOK, r.Status)
	d := lintAt(t, r.Compile.Diagnostics, "length comparison to zero")
	assert.Equal(t, "warning", d.Level)
	assert.Equal(t, 3, d.Line)
	assert.Contains(t, r.Compile.Stderr, "clippy::len_zero")
	assert.False(t, r.Compile.Cached)
	assert.True(t, clippy(t, map[string]any{"harness": "program", "stub": stub}).Compile.Cached, "memoized like a compile")

	mock := "#[macro_use] extern crate rocket;\n\n#[get(\"/\")]\nfn index() -> String {\n    let v: Vec<i32> = Vec::new();\n    if v.len() == 0 { \"empty\".into() } else { \"full\".into() }\n}\n\n#[launch]\nfn rocket() -> _ { rocket::build().mount(\"/\", routes![index]) }\n"
	r = clippy(t, map[string]any{"harness": "mock", "stub": mock, "args": map[string]any{"requests": []any{map[string]any{"method": "GET", "uri": "/"}}}})
	assert.Equal(t, outcome.StatusOK, r.Status, "%s", r.Compile.Stderr)
	assert.Equal(t, 6, lintAt(t, r.Compile.Diagnostics, "length comparison to zero").Line, "mapped through the harness's plan")
	for _, d := range r.Compile.Diagnostics {
		assert.Positive(t, d.Line, "no lint of the harness's own code: %+v", d)
	}

	r = clippy(t, map[string]any{"harness": "program", "stub": readTestdata(t, "compile_error.rs")})
	assert.Equal(t, outcome.StatusCompileError, r.Status)
	assert.Equal(t, 2, lintAt(t, r.Compile.Diagnostics, "mismatched types").Line)
}
