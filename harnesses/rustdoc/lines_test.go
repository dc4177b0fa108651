package rustdoc

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func texts(ls []Line) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.Text)
	}
	return out
}

func TestDoctestLinesHideAndEscape(t *testing.T) {
	cases := []struct {
		name, in string
		want     []Line
	}{
		{"hidden line is compiled without its marker", "# use rocket::get;\nshown();\n",
			[]Line{{Text: "use rocket::get;", Block: 1, From: 1, Shift: 2}, {Text: "shown();", Block: 2}}},
		{"indented hidden line loses its indentation", "    # let x = 1;\n",
			[]Line{{Text: "let x = 1;", Block: 1, From: 1, Shift: 6}}},
		{"a lone # is an empty hidden line", "#\n  #\n",
			[]Line{{Text: "", Block: 1}, {Text: "", Block: 2}}},
		{"## escapes to one literal #", "##[derive(Debug)]\n  ## not hidden\n",
			[]Line{{Text: "#[derive(Debug)]", Block: 1, From: 2, Shift: 1}, {Text: "  # not hidden", Block: 2, From: 4, Shift: 1}}},
		{"#text and attributes are ordinary lines", "#[get(\"/\")]\n#![allow(dead_code)]\n#x\n",
			[]Line{{Text: `#[get("/")]`, Block: 1}, {Text: "#![allow(dead_code)]", Block: 2}, {Text: "#x", Block: 3}}},
		{"CRLF and no final newline", "# a\r\nb", []Line{{Text: "a", Block: 1, From: 1, Shift: 2}, {Text: "b", Block: 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, hiddenLines(c.in))
		})
	}
}

func TestBlockLinesAndJoin(t *testing.T) {
	lines := blockLines("# a\r\n\nb")
	assert.Equal(t, []Line{{Text: "# a", Block: 1}, {Text: "", Block: 2}, {Text: "b", Block: 3}}, lines, "no hidden-line rules")
	assert.Equal(t, "# a\n\nb\n", Join(lines))
	assert.Empty(t, blockLines(""))
	assert.Equal(t, []string{"a", ""}, SplitLines("a\n\n"), "only the last newline ends the text")
}
