package sandbox

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeStub(t *testing.T) {
	want := "fn main() {\n    println!(\"hi\");\n}\n"
	for _, in := range []string{
		"fn main() {\n    println!(\"hi\");\n}\n",
		"fn main() {\r\n    println!(\"hi\");  \r\n}\r\n",
		"fn main() {\n    println!(\"hi\");\t\n}",
		"fn main() {\n    println!(\"hi\");\n}\n\n\n",
	} {
		assert.Equal(t, want, normalizeStub(in), "%q", in)
	}
	assert.NotEqual(t, want, normalizeStub("fn main() {\n  println!(\"hi\");\n}\n"), "leading whitespace is kept")
}

func TestCanonicalArgs(t *testing.T) {
	same := []string{
		`{"b": [1, 2.0, 3e0], "a": {"y": true, "x": "s"}}`,
		`{"a":{"x":"s","y":true},"b":[1,2,3]}`,
		` { "a" : { "y" : true , "x" : "s" } , "b" : [ 1.00 , 2 , 30e-1 ] } `,
	}
	first, err := canonicalArgs(json.RawMessage(same[0]))
	require.NoError(t, err)
	assert.Equal(t, `{"a":{"x":"s","y":true},"b":[1,2,3]}`, string(first))
	for _, s := range same[1:] {
		got, err := canonicalArgs(json.RawMessage(s))
		require.NoError(t, err)
		assert.Equal(t, string(first), string(got), s)
	}
	for _, empty := range []string{"", "null", "  "} {
		got, err := canonicalArgs(json.RawMessage(empty))
		require.NoError(t, err)
		assert.Equal(t, "{}", string(got))
	}
	got, err := canonicalArgs(json.RawMessage(`{"n": 18446744073709551615, "f": 0.5, "h": "<&>"}`))
	require.NoError(t, err)
	assert.Equal(t, `{"f":0.5,"h":"<&>","n":18446744073709551615}`, string(got))
	diff, _ := canonicalArgs(json.RawMessage(`{"b":[1,2,4],"a":{"x":"s","y":true}}`))
	assert.NotEqual(t, string(first), string(diff))
}
