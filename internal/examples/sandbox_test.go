package examples

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sandbox side's reading of the API's three answers (results, a
// compile error, a refusal), against a stand-in for the service; the
// real service is e2e's (TestExamplesSubsetHasNativeParity).
func TestSandboxReadsTheTestHarnessAnswer(t *testing.T) {
	var sent map[string]any
	answer, code := "", 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/api/v1/execute", r.URL.Path)
		b, _ := io.ReadAll(r.Body)
		require.NoError(t, json.Unmarshal(b, &sent))
		w.WriteHeader(code)
		io.WriteString(w, answer)
	}))
	defer srv.Close()
	e := Example{Name: "hello", Files: map[string][]byte{"src/main.rs": []byte("fn main() {}\n"), "static/x.jpg": {0xff, 0xd8}}}

	answer, code = `{"status":"runtime_error","compile":{"success":true},"run":{"result":{"tests":[
		{"name":"tests::a","status":"ok"},{"name":"tests::b","status":"failed"},{"name":"tests::c","status":"ignored"},{"name":"tests::d","status":"not_run"}]}}}`, 200
	s, err := Sandbox(context.Background(), srv.Client(), srv.URL, e, map[string]any{"run_timeout_ms": 5000})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"tests::a": "passed", "tests::b": "failed", "tests::c": "ignored", "tests::d": "not run"}, s.Tests)
	assert.Equal(t, "test", sent["harness"])
	assert.Equal(t, map[string]any{"src/main.rs": "fn main() {}\n", "static/x.jpg": map[string]any{"content": "/9g=", "encoding": "base64"}}, sent["files"],
		"the text files as they are, the others' bytes in base64")
	assert.Equal(t, map[string]any{"run_timeout_ms": 5000.0}, sent["limits"])

	answer = `{"status":"compile_error","compile":{"success":false,"stderr":"warning: x\nerror[E0432]: unresolved import ` + "`ws`" + `\n --> src/main.rs:1:5\n"}}`
	s, err = Sandbox(context.Background(), srv.Client(), srv.URL, e, nil)
	require.NoError(t, err)
	assert.Equal(t, "compile error: error[E0432]: unresolved import `ws` (src/main.rs:1:5)", s.Error)
	assert.Empty(t, s.Tests)

	answer, code = `{"status":"invalid_request","error":"dependencies.rocket: feature \"tls\" is not built","field":"files[\"Cargo.toml\"]"}`, 400
	s, err = Sandbox(context.Background(), srv.Client(), srv.URL, e, nil)
	require.NoError(t, err)
	assert.Equal(t, `refused (400 invalid_request): files["Cargo.toml"] dependencies.rocket: feature "tls" is not built`, s.Error)

	answer, code = `<html>bad gateway</html>`, 502
	_, err = Sandbox(context.Background(), srv.Client(), srv.URL, e, nil)
	assert.ErrorContains(t, err, "HTTP 502", "an answer that is not the API's is an error, not a row")
}
