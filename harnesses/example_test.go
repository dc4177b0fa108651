package harnesses

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
)

func verdictOf(t *testing.T, p Prepared, o Outcome) exampleVerdict {
	t.Helper()
	require.NotNil(t, p.Verdict)
	raw, err := p.Verdict(o)
	require.NoError(t, err)
	var v exampleVerdict
	require.NoError(t, json.Unmarshal(raw, &v))
	return v
}

func TestPrepareExampleReadsTheFenceAttributes(t *testing.T) {
	block := "# use std::fmt;\nlet x = 1;\n"
	cases := []struct {
		name, args  string
		skip        bool
		compileOnly bool
		edition     string
	}{
		{"no args: rust, 2021", `{}`, false, false, "2021"},
		{"no_run compiles only", `{"attrs": "rust,no_run"}`, false, true, "2021"},
		{"compile_fail compiles only", `{"attrs": ["compile_fail", "E0308"]}`, false, true, "2021"},
		{"edition attribute", `{"attrs": "rust,edition2018"}`, false, false, "2018"},
		{"edition arg is the default", `{"edition": "2015"}`, false, false, "2015"},
		{"the attribute wins over the arg", `{"attrs": "edition2024", "edition": "2015"}`, false, false, "2024"},
		{"ignore skips", `{"attrs": "rust,ignore"}`, true, false, ""},
		{"another language skips", `{"attrs": "text"}`, true, false, ""},
		{"test_harness skips", `{"attrs": "test_harness"}`, true, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := prepareExample(block, json.RawMessage(c.args))
			require.NoError(t, err)
			assert.Equal(t, c.skip, p.Skip)
			if c.skip {
				assert.Empty(t, p.Source, "nothing to compile")
				assert.Equal(t, "ignored", verdictOf(t, p, Outcome{Skipped: true}).Outcome)
				return
			}
			assert.Equal(t, c.compileOnly, p.CompileOnly)
			assert.Equal(t, c.edition, p.Edition)
			assert.Equal(t, "#![allow(unused)]\nfn main() {\nuse std::fmt;\nlet x = 1;\n}\n", string(p.Source))
			assert.Len(t, p.Lines, 5)
		})
	}
	v := verdictOf(t, mustPrepareExample(t, `{"attrs": "text"}`), Outcome{Skipped: true})
	assert.Contains(t, v.Reason, `"text"`, "the reason names the language")
}

func mustPrepareExample(t *testing.T, args string) Prepared {
	t.Helper()
	p, err := prepareExample("fn main() {}\n", json.RawMessage(args))
	require.NoError(t, err)
	return p
}

func TestPrepareExampleArgErrors(t *testing.T) {
	cases := map[string]struct{ args, field string }{
		"attrs as a number":    {`{"attrs": 5}`, "attrs"},
		"attrs as mixed array": {`{"attrs": ["rust", 1]}`, "attrs"},
		"attrs as object":      {`{"attrs": {"rust": true}}`, "attrs"},
		"unknown arg":          {`{"stdin": "x"}`, "stdin"},
		"bad edition":          {`{"edition": "2019"}`, "edition"},
		"edition as number":    {`{"edition": 2021}`, "edition"},
		"args not an object":   {`[1]`, ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := prepareExample("fn main() {}", json.RawMessage(c.args))
			var argErr *ArgError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, c.field, argErr.Field)
		})
	}
}

func TestJudgeExampleIsRustdocsVerdict(t *testing.T) {
	zero, three := int32(0), int32(3)
	ranOK := Outcome{Compiled: true, Ran: true, ExitCode: &zero}
	panicked := Outcome{Compiled: true, Ran: true, Trap: "wasm error: unreachable"}
	exited3 := Outcome{Compiled: true, Ran: true, ExitCode: &three}
	timedOut := Outcome{Compiled: true, Ran: true, RunLimit: "timeout"}
	noCompile := Outcome{CompileStderr: "error[E0308]: mismatched types\n"}
	compileOOM := Outcome{CompileLimit: "memory_limit"}
	compiledOnly := Outcome{Compiled: true}
	cases := []struct {
		attrs   string
		o       Outcome
		outcome string
	}{
		{"rust", ranOK, "passed"},
		{"rust", panicked, "failed"},
		{"rust", exited3, "failed"},
		{"rust", timedOut, "failed"},
		{"rust", noCompile, "failed"},
		{"rust", compileOOM, "failed"},
		{"should_panic", panicked, "passed"},
		{"should_panic", exited3, "passed"},
		{"should_panic", ranOK, "failed"},
		{"should_panic", timedOut, "failed"},
		{"no_run", compiledOnly, "passed"},
		{"no_run", noCompile, "failed"},
		{"compile_fail", noCompile, "passed"},
		{"compile_fail", compiledOnly, "failed"},
		{"compile_fail,E0308", noCompile, "passed"},
		{"compile_fail,E0277", noCompile, "failed"},
		{"compile_fail", compileOOM, "failed"},
	}
	for _, c := range cases {
		v := judgeExample(rustdoc.ParseAttrs(c.attrs), c.o)
		assert.Equal(t, c.outcome, v.Outcome, "%s with %+v: %s", c.attrs, c.o, v.Reason)
		assert.NotEmpty(t, v.Reason)
	}
	assert.Contains(t, judgeExample(rustdoc.ParseAttrs("compile_fail,E0277"), noCompile).Reason, "E0277")
	assert.Contains(t, judgeExample(rustdoc.ParseAttrs("rust"), exited3).Reason, "status 3")
}
