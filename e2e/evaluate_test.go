package e2e

// POST /evaluate.json as mdBook's play button calls it: the Rust
// playground's request and response, code run as a documentation block
// (the example harness), CORS for the configured origins.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/server"
)

type evaluateAnswer struct {
	Result string  `json:"result"`
	Error  *string `json:"error"`
}

func evaluate(t *testing.T, base string, body map[string]any) (int, evaluateAnswer) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	resp, err := client.Post(base+"/evaluate.json", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.DisallowUnknownFields()
	var a evaluateAnswer
	require.NoError(t, dec.Decode(&a))
	return resp.StatusCode, a
}

// What mdBook sends for a block without fn main: it wraps the block in
// one itself, behind hidden lines it has already stripped.
const mdbookHello = "#![allow(unused)]\nfn main() {\nlet v = vec![1, 2, 3];\nprintln!(\"sum {}\", v.iter().sum::<i32>());\n}"

func TestEvaluateAsMdBookCallsIt(t *testing.T) {
	code, a := evaluate(t, baseURL, map[string]any{"version": "stable", "optimize": "0", "code": mdbookHello, "edition": "2021"})
	require.Equal(t, http.StatusOK, code)
	assert.Nil(t, a.Error)
	assert.Equal(t, "sum 6\n", a.Result)

	// A block with no fn main gets rustdoc's; a Rocket block runs as its
	// doctest would.
	rocketBlock := "#[macro_use] extern crate rocket;\n#[get(\"/\")]\nfn index() -> &'static str { \"hi from rocket\" }\n" +
		"let client = rocket::local::blocking::Client::tracked(rocket::build().mount(\"/\", routes![index])).unwrap();\n" +
		"println!(\"{}\", client.get(\"/\").dispatch().into_string().unwrap());\n"
	code, a = evaluate(t, baseURL, map[string]any{"version": "stable", "optimize": "0", "code": rocketBlock, "edition": "2021"})
	require.Equal(t, http.StatusOK, code)
	assert.Nil(t, a.Error)
	assert.Contains(t, a.Result, "hi from rocket")

	// A compile error is the compiler's output, as the playground shows it.
	code, a = evaluate(t, baseURL, map[string]any{"version": "stable", "optimize": "0", "code": "fn main() { let x: u32 = \"no\"; }", "edition": "2021"})
	require.Equal(t, http.StatusOK, code)
	assert.Nil(t, a.Error)
	assert.Contains(t, a.Result, "error[E0308]: mismatched types")
}

func TestEvaluateRefusalsSayWhy(t *testing.T) {
	code, a := evaluate(t, baseURL, map[string]any{"version": "stable", "optimize": "0", "code": "", "edition": "2021"})
	assert.Equal(t, http.StatusBadRequest, code)
	require.NotNil(t, a.Error)
	assert.Contains(t, *a.Error, "code is required")
	assert.Empty(t, a.Result)

	code, a = evaluate(t, baseURL, map[string]any{"code": "fn main() {}", "edition": "1999"})
	assert.Equal(t, http.StatusBadRequest, code)
	require.NotNil(t, a.Error)
}

// A page of an allowed origin (a book on another host) may call it; a
// page of any other origin may not.
func TestEvaluateCORS(t *testing.T) {
	base := startServer(t, server.Config{AllowedOrigins: []string{"http://book.example"}}, service(t))
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, base+"/evaluate.json", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	ok := preflight("http://book.example")
	assert.Equal(t, http.StatusNoContent, ok.StatusCode)
	assert.Equal(t, "http://book.example", ok.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, http.StatusForbidden, preflight("http://evil.example").StatusCode)

	b, err := json.Marshal(map[string]any{"version": "stable", "optimize": "0", "code": mdbookHello, "edition": "2021"})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, base+"/evaluate.json", bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://book.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "http://book.example", resp.Header.Get("Access-Control-Allow-Origin"))
}
