package harnesses

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// verdictOf is the verdict p reports on what became of it.
func verdictOf(t *testing.T, p Plan, compile *outcome.Compile, run *outcome.Run) ExampleVerdict {
	t.Helper()
	rep, err := p.Report(compile, run)
	require.NoError(t, err)
	require.NotEmpty(t, rep.Verdict)
	var v ExampleVerdict
	require.NoError(t, json.Unmarshal(rep.Verdict, &v))
	return v
}

func TestPlanExampleReadsTheFenceAttributes(t *testing.T) {
	block := "# use std::fmt;\nlet x = 1;\n"
	cases := []struct {
		name, args string
		steps      Steps
		edition    string
	}{
		{"no args: rust, 2021", `{}`, CompileAndRun, "2021"},
		{"no_run compiles only", `{"attrs": "rust,no_run"}`, CompileOnly, "2021"},
		{"compile_fail compiles only", `{"attrs": ["compile_fail", "E0308"]}`, CompileOnly, "2021"},
		{"edition attribute", `{"attrs": "rust,edition2018"}`, CompileAndRun, "2018"},
		{"edition arg is the default", `{"edition": "2015"}`, CompileAndRun, "2015"},
		{"the attribute wins over the arg", `{"attrs": "edition2024", "edition": "2015"}`, CompileAndRun, "2024"},
		{"ignore skips", `{"attrs": "rust,ignore"}`, Skip, ""},
		{"another language skips", `{"attrs": "text"}`, Skip, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planExample(block, json.RawMessage(c.args))
			require.NoError(t, err)
			assert.Equal(t, c.steps, p.Steps)
			if c.steps == Skip {
				assert.Empty(t, p.Source, "nothing to compile")
				assert.Equal(t, "ignored", verdictOf(t, p, nil, nil).Outcome)
				return
			}
			assert.Equal(t, c.edition, p.Edition)
			assert.Equal(t, "#![allow(unused)]\nfn main() {\nuse std::fmt;\nlet x = 1;\n}\n", string(p.Source))
			assert.Len(t, p.Lines, 5)
		})
	}
	v := verdictOf(t, mustPlanExample(t, `{"attrs": "text"}`), nil, nil)
	assert.Contains(t, v.Reason, `"text"`, "the reason names the language")

	p, err := planExample(block, json.RawMessage(`{"attrs": "test_harness"}`))
	require.NoError(t, err)
	assert.True(t, p.Test, "a test_harness block is compiled with --test")
	assert.NotNil(t, p.Drive, "and its tests are run one by one")
	assert.Equal(t, "#![allow(unused)]\nuse std::fmt;\nlet x = 1;\n", string(p.Source), "never wrapped in a main")
}

func mustPlanExample(t *testing.T, args string) Plan {
	t.Helper()
	p, err := planExample("fn main() {}\n", json.RawMessage(args))
	require.NoError(t, err)
	return p
}

func TestPlanExampleArgErrors(t *testing.T) {
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
			_, err := planExample("fn main() {}", json.RawMessage(c.args))
			var argErr *ArgError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, c.field, argErr.Field)
		})
	}
}

func TestJudgeExampleIsRustdocsVerdict(t *testing.T) {
	zero, three := int32(0), int32(3)
	compiled := outcome.Compile{Success: true}
	noCompile := outcome.Compile{Stderr: "error[E0308]: mismatched types\n"}
	compileOOM := outcome.Compile{Limit: outcome.LimitMemory}
	ranOK := &outcome.Run{ExitCode: &zero}
	panicked := &outcome.Run{Trap: "wasm error: unreachable"}
	exited3 := &outcome.Run{ExitCode: &three}
	timedOut := &outcome.Run{Limit: outcome.LimitTime}
	cases := []struct {
		attrs   string
		compile outcome.Compile
		run     *outcome.Run
		outcome string
	}{
		{"rust", compiled, ranOK, "passed"},
		{"rust", compiled, panicked, "failed"},
		{"rust", compiled, exited3, "failed"},
		{"rust", compiled, timedOut, "failed"},
		{"rust", noCompile, nil, "failed"},
		{"rust", compileOOM, nil, "failed"},
		{"should_panic", compiled, panicked, "passed"},
		{"should_panic", compiled, exited3, "passed"},
		{"should_panic", compiled, ranOK, "failed"},
		{"should_panic", compiled, timedOut, "failed"},
		{"no_run", compiled, nil, "passed"},
		{"no_run", noCompile, nil, "failed"},
		{"compile_fail", noCompile, nil, "passed"},
		{"compile_fail", compiled, nil, "failed"},
		{"compile_fail,E0308", noCompile, nil, "passed"},
		{"compile_fail,E0277", noCompile, nil, "failed"},
		{"compile_fail", compileOOM, nil, "failed"},
	}
	for _, c := range cases {
		v := judgeExample(rustdoc.ParseAttrs(c.attrs), c.compile, c.run)
		assert.Equal(t, c.outcome, v.Outcome, "%s with %+v, %+v: %s", c.attrs, c.compile, c.run, v.Reason)
		assert.NotEmpty(t, v.Reason)
	}
	assert.Contains(t, judgeExample(rustdoc.ParseAttrs("compile_fail,E0277"), noCompile, nil).Reason, "E0277")
	assert.Contains(t, judgeExample(rustdoc.ParseAttrs("rust"), compiled, exited3).Reason, "status 3")
	assert.Contains(t, judgeExample(rustdoc.ParseAttrs("rust"), compileOOM, nil).Reason, "memory limit")
}

func TestExampleReportIsInTheBlocksNumbering(t *testing.T) {
	p, err := planExample("# #![allow(dead_code)]\nlet code: u16 = 300;\n", json.RawMessage(`{"attrs": "compile_fail,E0308"}`))
	require.NoError(t, err)
	require.Equal(t, "let code: u16 = 300;", strings.Split(string(p.Source), "\n")[3])
	rep, err := p.Report(&outcome.Compile{
		Diagnostics: []outcome.Diagnostic{{Level: "error", Message: "mismatched types", Line: 4, Column: 17}, {Level: "note", Message: "in main", Line: 3, Column: 1}},
		Stderr:      "error[E0308]: mismatched types\n --> main.rs:4:17\n",
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, []outcome.Diagnostic{{Level: "error", Message: "mismatched types", Line: 2, Column: 17}, {Level: "note", Message: "in main"}}, rep.Diagnostics,
		"the stub's line 2; the generated fn main has no position")
	assert.Equal(t, "error[E0308]: mismatched types\n --> main.rs:2:17\n", rep.CompileStderr)
	assert.Empty(t, rep.RunStderr, "nothing ran")
	assert.Nil(t, rep.RunResult, "the example harness reads no run.result")
	assert.JSONEq(t, `{"outcome": "passed", "reason": "the example failed to compile, as compile_fail expects"}`, string(rep.Verdict))

	_, err = p.Report(nil, nil)
	assert.Error(t, err, "a planned compile that is reported as never compiled is the caller's mistake")
}
