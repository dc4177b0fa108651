package server

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// FuzzParseExecute: any body either decodes to a request whose args are a
// JSON object, or is refused with a coded error — never a panic, never
// another kind of error (which would be answered 500).
func FuzzParseExecute(f *testing.F) {
	for _, s := range []string{
		`{"harness":"program","stub":"fn main() {}"}`,
		`{"harness":"mock","stub":"x","args":{"requests":[{"uri":"/"}]},"seed":"7"}`,
		`{"harness":"a","harness":"b"}`,
		`{"stub": 1}`, `[]`, ``, `{"args": []}`, "{\"stub\":\"\xff\"}", `{"seed": 18446744073709551616}`,
		`{"harness":"program","files":{"src/main.rs":"fn main() {}\n","x.bin":{"content":"/9g=","encoding":"base64"}}}`,
		`{"files":{"a":{"content":"\/9g=","encoding":"base64","content":"x"}}}`, `{"files":{"a":{"encoding":"hex"}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseExecute(body)
		if err != nil {
			var se *sandbox.Error
			if !errors.As(err, &se) {
				t.Fatalf("uncoded error %T: %v", err, err)
			}
			return
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(req.Args, &obj) != nil {
			t.Fatalf("args is not an object: %s", req.Args)
		}
	})
}

// FuzzArgsFromQuery: any query either becomes an args object (valid JSON,
// deterministic) or is refused with a coded error.
func FuzzArgsFromQuery(f *testing.F) {
	for _, s := range []string{
		"method=GET&uri=/a", "requests[0][uri]=/a&requests[1][method]=POST", "seed=7", "seed=x", "a[1][b]=c",
		"a[0][b]=c&a=d", "requests[0][headers][x]=y", "a[999999999999][b]=c", "k=\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		var pairs []queryPair
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			pairs = append(pairs, queryPair{Key: k, Value: v})
		}
		args, _, err := argsFromQuery(pairs)
		if err != nil {
			var se *sandbox.Error
			if !errors.As(err, &se) {
				t.Fatalf("uncoded error %T: %v", err, err)
			}
			return
		}
		var obj map[string]any
		if err := json.Unmarshal(args, &obj); err != nil {
			t.Fatalf("args is not a JSON object: %s", args)
		}
		again, _, err := argsFromQuery(pairs)
		if err != nil || string(again) != string(args) {
			t.Fatalf("not deterministic: %s vs %s (%v)", args, again, err)
		}
	})
}

// scanObject, the fast path, reads a body as readObject does whenever it
// answers at all.
func FuzzScanObjectAgreesWithReadObject(f *testing.F) {
	for _, s := range []string{
		`{"harness":"program","stub":"fn main() {}"}`,
		` { "stub" : "a\"}]\\" , "args" : {"x":[1,{"y":"}"}],"z":-1.5e3} , "seed":7 } `,
		`{"seed":18446744073709551615}`, `{"a":null,"b":true,"c":false,"d":[]}`, `{}`,
		`{"a":1,"a":2}`, `{"\u0061":1}`, `[1]`, `"s"`, `{"a":}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, ok := scanObject(body)
		if !ok {
			return
		}
		slow, err := readObject(body)
		if err != nil {
			t.Fatalf("scanObject read %q, readObject refused it: %v", body, err)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%q: %d members, readObject %d", body, len(fast), len(slow))
		}
		for i := range fast {
			if fast[i].name != slow[i].name || string(fast[i].value) != string(slow[i].value) {
				t.Fatalf("%q: member %d is %q=%s, readObject %q=%s", body, i, fast[i].name, fast[i].value, slow[i].name, slow[i].value)
			}
		}
	})
}

// FuzzUnquoteAgreesWithEncodingJSON: a file's text is the string
// encoding/json reads from the same valid JSON string, escapes and lone
// surrogates included.
func FuzzUnquoteAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{
		``, `plain`, `a\nb\tc\"d\\e\/f\bg\fh\ri`, `\u00e9\u0041`, `\ud83d\ude00`, `\ud83d`, `\ude00x`,
		`\ud83d\u0041`, `\ud83d\ud83d\ude00`, `é \u2028`, `\\u0041`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		raw := []byte(`"` + s + `"`)
		if !utf8.ValidString(s) || !json.Valid(raw) {
			return
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatalf("json.Valid but no string: %v", err)
		}
		if got := unquote([]byte(s)); string(got) != want {
			t.Fatalf("unquote(%q) = %q, encoding/json reads %q", s, got, want)
		}
	})
}
