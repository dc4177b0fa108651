package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

func pairs(kv ...string) []queryPair {
	var ps []queryPair
	for i := 0; i+1 < len(kv); i += 2 {
		ps = append(ps, queryPair{Key: kv[i], Value: kv[i+1]})
	}
	return ps
}

func TestArgsFromQuery(t *testing.T) {
	cases := []struct {
		name  string
		pairs []queryPair
		args  string
		seed  *uint64
	}{
		{"none", nil, `{}`, nil},
		{"plain", pairs("name", "x", "count", "3"), `{"count":"3","name":"x"}`, nil},
		{"empty value", pairs("flag", ""), `{"flag":""}`, nil},
		{"repeated", pairs("tag", "a", "other", "z", "tag", "b", "tag", "c"), `{"other":"z","tag":["a","b","c"]}`, nil},
		{"bare repeated stay arrays", pairs("method", "GET", "uri", "/a", "method", "POST", "uri", "/b"),
			`{"method":["GET","POST"],"uri":["/a","/b"]}`, nil},
		{"indexed", pairs("requests[0][method]", "GET", "requests[0][uri]", "/x"),
			`{"requests":[{"method":"GET","uri":"/x"}]}`, nil},
		{"indexed out of order", pairs("r[1][m]", "POST", "r[0][m]", "GET", "r[1][u]", "/b"),
			`{"r":[{"m":"GET"},{"m":"POST","u":"/b"}]}`, nil},
		{"indexed repeated field", pairs("r[0][h]", "a", "r[0][h]", "b"), `{"r":[{"h":["a","b"]}]}`, nil},
		{"indexed leading zero", pairs("r[00][m]", "GET"), `{"r":[{"m":"GET"}]}`, nil},
		{"mixed", pairs("mode", "x", "r[0][m]", "GET"), `{"mode":"x","r":[{"m":"GET"}]}`, nil},
		{"html stays readable", pairs("body", "<b>&</b>"), `{"body":"<b>&</b>"}`, nil},
		{"seed", pairs("seed", "18446744073709551615", "a", "1"), `{"a":"1"}`, ptr(uint64(18446744073709551615))},
		{"seed zero", pairs("seed", "0"), `{}`, ptr(uint64(0))},
		{"seed is case-sensitive", pairs("Seed", "x"), `{"Seed":"x"}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args, seed, err := argsFromQuery(tc.pairs)
			require.NoError(t, err)
			assert.Equal(t, tc.args, string(args), "args, byte for byte")
			assert.Equal(t, tc.seed, seed)
		})
	}
}

func TestArgsFromQueryErrors(t *testing.T) {
	cases := []struct {
		name  string
		pairs []queryPair
		field string
	}{
		{"empty key", pairs("", "x"), "query"},
		{"seed not a number", pairs("seed", "abc"), "seed"},
		{"seed signed", pairs("seed", "+1"), "seed"},
		{"seed hex", pairs("seed", "0x10"), "seed"},
		{"seed empty", pairs("seed", ""), "seed"},
		{"seed twice", pairs("seed", "1", "seed", "1"), "seed"},
		{"seed indexed", pairs("seed[0][x]", "1"), "seed"},
		{"invalid UTF-8 key", pairs("a\xff", "1"), "query"},
		{"invalid UTF-8 value", pairs("a", "\xc3"), "query"},
		{"one bracket level", pairs("a[0]", "1"), "a[0]"},
		{"empty brackets", pairs("a[]", "1"), "a[]"},
		{"named index", pairs("a[x][y]", "1"), "a[x][y]"},
		{"negative index", pairs("a[-1][y]", "1"), "a[-1][y]"},
		{"huge index", pairs("a[99999999999999999999][y]", "1"), "a[99999999999999999999][y]"},
		{"empty field", pairs("a[0][]", "1"), "a[0][]"},
		{"too deep", pairs("a[0][b][c]", "1"), "a[0][b][c]"},
		{"no name", pairs("[0][b]", "1"), "[0][b]"},
		{"stray close", pairs("a]", "1"), "a]"},
		{"unclosed", pairs("a[0][b", "1"), "a[0][b"},
		{"nested open", pairs("a[0][b[c]]", "1"), "a[0][b[c]]"},
		{"gap", pairs("a[0][m]", "x", "a[2][m]", "y"), "a"},
		{"no zero", pairs("a[1][m]", "x"), "a"},
		{"plain and indexed", pairs("a", "1", "a[0][m]", "x"), "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args, seed, err := argsFromQuery(tc.pairs)
			require.Error(t, err)
			assert.Nil(t, args)
			assert.Nil(t, seed)
			se, ok := sandbox.AsError(err)
			require.True(t, ok, "a *sandbox.Error")
			assert.Equal(t, sandbox.CodeInvalid, se.Code, "a 400, not a 413")
			assert.Equal(t, tc.field, se.Field)
		})
	}
}

func ptr[T any](v T) *T { return &v }
