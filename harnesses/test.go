package harnesses

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// testArgs are the test harness's arguments.
type testArgs struct {
	Filter         *string           `json:"filter"`
	Exact          bool              `json:"exact"`
	Ignored        bool              `json:"ignored"`
	IncludeIgnored bool              `json:"include_ignored"`
	Edition        *string           `json:"edition"`
	Env            map[string]string `json:"env"`
}

// MaxTests caps the tests one request runs; the rest are reported as not
// run. Each test is an instance of its own, so a request's run time is
// about this many runs.
const MaxTests = 100

// testInvokeVar is libtest's variable for running one test in the
// process (its panic=abort mode, -Zpanic-abort-tests): the process runs
// that test and exits 50 when it passed; a failure aborts. libtest's
// should_panic logic runs inside, so `expected = "..."` is honoured.
const (
	testInvokeVar = "__RUST_TEST_INVOKE"
	testPassed    = 50
)

// Test is the harness that runs a crate's tests as `cargo test` does:
// the crate is compiled with --test, its tests are listed, and each one
// runs in a fresh instance of the module, so a panic (which aborts, on
// wasm) ends only its own test.
func Test() *Harness {
	return &Harness{
		ID: "test",
		Description: "Runs a crate's #[test] functions (and #[rocket::async_test]s) like `cargo test`: compiled with --test, each test in a fresh instance (a panic aborts only that test; should_panic is honoured), #[ignore]d ones skipped unless asked for. " +
			"The stub (or a project's src/main.rs or src/lib.rs) is the crate. run.stdout reads like libtest's output; run.result has each test's status and output; result is {\"outcome\": \"passed\"|\"failed\", ...} with the counts.",
		Library: true,
		ArgsSchema: json.RawMessage(`{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "filter": {"type": "string", "description": "run only tests whose name contains this (cargo test FILTER)"},
    "exact": {"type": "boolean", "description": "the filter must match a test's whole name (--exact)"},
    "ignored": {"type": "boolean", "description": "run only the #[ignore]d tests (--ignored)"},
    "include_ignored": {"type": "boolean", "description": "run the #[ignore]d tests too (--include-ignored)"},
    ` + editionAndEnvSchema + `
  }
}`),
		Example: json.RawMessage(`{
  "harness": "test",
  "stub": "fn double(x: i32) -> i32 { x * 2 }\n\nfn main() {}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn doubles() {\n        assert_eq!(super::double(2), 4);\n    }\n\n    #[test]\n    #[should_panic(expected = \"overflow\")]\n    fn overflows() {\n        super::double(i32::MAX);\n    }\n}\n",
  "args": {}
}`),
		Plan: planTest,
	}
}

func planTest(stub string, raw json.RawMessage) (Plan, error) {
	var args testArgs
	if err := decodeArgs(raw, &args); err != nil {
		return Plan{}, err
	}
	p := Plan{Source: []byte(stub)}
	if err := p.setEditionAndEnv(args.Edition, args.Env); err != nil {
		return Plan{}, err
	}
	if args.Ignored && args.IncludeIgnored {
		return Plan{}, &ArgError{Field: "ignored", Message: "ignored and include_ignored exclude each other"}
	}
	if args.Exact && args.Filter == nil {
		return Plan{}, &ArgError{Field: "exact", Message: "exact needs a filter"}
	}
	sel := testSelection{exact: args.Exact, ignored: args.Ignored, includeIgnored: args.IncludeIgnored, env: p.Input.Env}
	if args.Filter != nil {
		sel.filter = *args.Filter
	}
	summary := p.runTests(sel)
	p.judge = func(compile *outcome.Compile, _ *outcome.Run) (json.RawMessage, error) {
		return json.Marshal(judgeTests(compile, *summary))
	}
	return p, nil
}

// runTests makes p run the crate's tests as driveTests does, and read
// their summary as its run.result; the summary is there once the tests
// ran (nil before, or when the listing failed).
func (p *Plan) runTests(sel testSelection) **TestSummary {
	summary := new(*TestSummary)
	p.Test = true
	p.Drive = func(run RunFunc) (*outcome.Run, error) {
		r, sum, err := driveTests(run, sel)
		*summary = sum
		return r, err
	}
	p.read = func(*outcome.Run) (json.RawMessage, error) {
		if *summary == nil {
			return nil, nil
		}
		return json.Marshal(*summary)
	}
	return summary
}

// testSelection is which of the listed tests run, as libtest's options
// choose them.
type testSelection struct {
	filter                         string
	exact, ignored, includeIgnored bool
	env                            []string // every test's environment
}

func (s testSelection) matches(name string) bool {
	if s.filter == "" {
		return true
	}
	if s.exact {
		return name == s.filter
	}
	return strings.Contains(name, s.filter)
}

// TestSummary is the test harness's reading of a run (run.result).
type TestSummary struct {
	Tests       []TestResult `json:"tests"`
	Passed      int          `json:"passed"`
	Failed      int          `json:"failed"`
	Ignored     int          `json:"ignored"`
	NotRun      int          `json:"not_run"`
	FilteredOut int          `json:"filtered_out"`
}

// TestResult is one test's outcome.
type TestResult struct {
	Name string `json:"name"`
	// Status is "ok", "failed", "ignored", or "not_run" (past MaxTests,
	// or after a test that hit the time limit).
	Status string `json:"status"`
	// ShouldPanic: the test panicked and passed, or failed for not
	// panicking (libtest's listing does not say it in advance).
	ShouldPanic bool `json:"should_panic,omitempty"`
	// Limit is the limit the test's run hit, if one did.
	Limit  outcome.Limit `json:"limit,omitempty"`
	Reason string        `json:"reason,omitempty"`
	Stdout string        `json:"stdout"`
	Stderr string        `json:"stderr"`
}

// driveTests lists the crate's tests, runs the selected ones one
// instance each, and returns a run whose stdout reads like libtest's
// report (exit status 101 when a test failed, as cargo test's).
func driveTests(run RunFunc, sel testSelection) (*outcome.Run, *TestSummary, error) {
	all, listing, err := listTests(run, false)
	if err != nil || listing != nil {
		return listing, nil, err
	}
	ignoredList, listing, err := listTests(run, true)
	if err != nil || listing != nil {
		return listing, nil, err
	}
	ignored := make(map[string]bool, len(ignoredList))
	for _, n := range ignoredList {
		ignored[n] = true
	}
	sum := &TestSummary{Tests: []TestResult{}}
	var limit outcome.Limit
	ran := 0
	for _, name := range all {
		if !sel.matches(name) || (sel.ignored && !ignored[name]) {
			sum.FilteredOut++
			continue
		}
		t := TestResult{Name: name}
		switch {
		case ignored[name] && !sel.ignored && !sel.includeIgnored:
			t.Status = "ignored"
		case ran >= MaxTests:
			t.Status, t.Reason = "not_run", fmt.Sprintf("over the limit of %d tests a request runs", MaxTests)
		case limit == outcome.LimitTime:
			t.Status, t.Reason = "not_run", "an earlier test hit the time limit"
		default:
			ran++
			r, err := run(Input{Env: append(append([]string{}, sel.env...), testInvokeVar+"="+name)})
			if err != nil {
				return nil, nil, err
			}
			t = judgeTest(name, r)
			if limit == outcome.LimitNone {
				limit = r.Limit
			}
		}
		switch t.Status {
		case "ok":
			sum.Passed++
		case "failed":
			sum.Failed++
		case "ignored":
			sum.Ignored++
		default:
			sum.NotRun++
		}
		sum.Tests = append(sum.Tests, t)
	}
	code := int32(0)
	if sum.Failed > 0 || sum.NotRun > 0 {
		code = 101
	}
	out := &outcome.Run{ExitCode: &code, Stdout: []byte(sum.render()), Stderr: []byte{}, Limit: limit}
	if limit != outcome.LimitNone {
		out.ExitCode = nil
	}
	return out, sum, nil
}

// listTests runs the module with libtest's --list (of the ignored tests
// only, with ignored) and reads the names. A listing that did not run to
// completion is returned as the run to report.
func listTests(run RunFunc, ignored bool) (names []string, failed *outcome.Run, err error) {
	args := []string{"--list", "--format", "terse"}
	if ignored {
		args = append(args, "--ignored")
	}
	r, err := run(Input{Args: args})
	if err != nil {
		return nil, nil, err
	}
	if !r.Succeeded() {
		return nil, r, nil
	}
	for _, line := range strings.Split(string(r.Stdout), "\n") {
		if name, ok := strings.CutSuffix(line, ": test"); ok {
			names = append(names, name)
		}
	}
	return names, nil, nil
}

// judgeTest reads one test's run: libtest's invoke mode exits 50 for a
// pass and aborts for a failure.
func judgeTest(name string, r *outcome.Run) TestResult {
	t := TestResult{Name: name, Status: "failed", Stdout: string(r.Stdout), Stderr: string(r.Stderr), Limit: r.Limit}
	panicked := strings.Contains(t.Stderr, "panicked at ")
	switch {
	case r.Limit != outcome.LimitNone:
		t.Reason = fmt.Sprintf("the test hit its %s", r.Limit.Name())
	case r.ExitCode != nil && *r.ExitCode == testPassed:
		t.Status, t.ShouldPanic = "ok", panicked
	case strings.Contains(t.Stderr, "test did not panic as expected"):
		t.ShouldPanic, t.Reason = true, "the test did not panic, but it is marked should_panic"
	case strings.Contains(t.Stderr, "panic did not contain expected string"):
		t.ShouldPanic, t.Reason = true, "the test panicked, but not with the message should_panic expects"
	case r.ExitCode != nil:
		t.Reason = fmt.Sprintf("the test exited with status %d", *r.ExitCode)
	case panicked:
		t.Reason = "the test panicked"
	default:
		t.Reason = "the test aborted: " + r.Trap
	}
	return t
}

// render is the report libtest prints, with a fixed duration: every
// clock a test sees is virtual.
func (s *TestSummary) render() string {
	var b strings.Builder
	plural := "s"
	if len(s.Tests) == 1 {
		plural = ""
	}
	fmt.Fprintf(&b, "\nrunning %d test%s\n", len(s.Tests), plural)
	var failures []TestResult
	for _, t := range s.Tests {
		name := t.Name
		if t.ShouldPanic {
			name += " - should panic"
		}
		word := map[string]string{"ok": "ok", "failed": "FAILED", "ignored": "ignored", "not_run": "not run"}[t.Status]
		fmt.Fprintf(&b, "test %s ... %s\n", name, word)
		if t.Status == "failed" {
			failures = append(failures, t)
		}
	}
	if len(failures) > 0 {
		b.WriteString("\nfailures:\n")
		for _, t := range failures {
			fmt.Fprintf(&b, "\n---- %s stdout ----\n%s%s", t.Name, t.Stdout, t.Stderr)
			if t.Reason != "" {
				fmt.Fprintf(&b, "note: %s\n", t.Reason)
			}
		}
		b.WriteString("\nfailures:\n")
		for _, t := range failures {
			fmt.Fprintf(&b, "    %s\n", t.Name)
		}
	}
	result := "ok"
	if s.Failed > 0 || s.NotRun > 0 {
		result = "FAILED"
	}
	fmt.Fprintf(&b, "\ntest result: %s. %d passed; %d failed; %d ignored; 0 measured; %d filtered out; finished in 0.00s\n\n",
		result, s.Passed, s.Failed, s.Ignored, s.FilteredOut)
	return b.String()
}

// TestVerdict is the test harness's verdict, the response's result.
type TestVerdict struct {
	// Outcome is "passed" (every test that ran passed) or "failed".
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Ignored int    `json:"ignored"`
}

func judgeTests(compile *outcome.Compile, s *TestSummary) TestVerdict {
	switch {
	case compile == nil || !compile.Success:
		return TestVerdict{Outcome: "failed", Reason: "the tests do not compile"}
	case s == nil:
		return TestVerdict{Outcome: "failed", Reason: "the test binary could not list its tests (see run.stderr)"}
	}
	v := TestVerdict{Outcome: "passed", Passed: s.Passed, Failed: s.Failed, Ignored: s.Ignored}
	switch {
	case s.Failed > 0:
		v.Outcome, v.Reason = "failed", fmt.Sprintf("%d of %d tests failed", s.Failed, s.Passed+s.Failed)
	case s.NotRun > 0:
		v.Outcome, v.Reason = "failed", fmt.Sprintf("%d tests were not run", s.NotRun)
	default:
		v.Reason = fmt.Sprintf("%d passed", s.Passed)
	}
	return v
}
