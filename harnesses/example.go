package harnesses

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// exampleTarget is what `ignore-<target>` tags are matched against: the
// target the examples are compiled for and run on.
const exampleTarget = "wasm32-wasip1"

// exampleArgs are the example harness's arguments.
type exampleArgs struct {
	// Attrs is the code fence's info string ("rust,no_run"), or its
	// tokens as an array of strings.
	Attrs json.RawMessage `json:"attrs"`
	// Edition is the edition when attrs names none: the documented
	// crate's edition (rustdoc's default). Default 2021.
	Edition *string `json:"edition"`
}

// Example is the harness for code blocks from documentation: the block is
// compiled and run as `cargo test --doc` would (hidden lines, hoisting,
// the generated fn main, fence attributes) and judged like a doctest.
func Example() *Harness {
	return &Harness{
		ID:          "example",
		Description: "A documentation code block, run as rustdoc runs a doctest (`# ` hidden lines, crate attributes and extern crates hoisted, wrapped in `fn main` when it has none). args.attrs is the fence's info string (ignore, no_run, should_panic, compile_fail, E0308-style codes, edition" + strings.Join(edition.All(), "/") + "); the verdict is in result: {\"outcome\": \"passed\"|\"failed\"|\"ignored\", \"reason\": ...}.",
		ArgsSchema: json.RawMessage(`{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "attrs": {
      "description": "the code fence's info string, e.g. \"rust,no_run\", or its tokens; default \"rust\"",
      "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
    },
    "edition": {"type": "string", "enum": [` + edition.Quoted() + `], "description": "edition when attrs names none (default ` + edition.Default + `)"}
  }
}`),
		Example: json.RawMessage(`{
  "harness": "example",
  "stub": "# #[macro_use] extern crate rocket;\n# use rocket::local::blocking::Client;\n#[get(\"/\")]\nfn index() -> &'static str {\n    \"Hello, world!\"\n}\n\n# let client = Client::tracked(rocket::build().mount(\"/\", routes![index])).unwrap();\n# assert_eq!(client.get(\"/\").dispatch().into_string().unwrap(), \"Hello, world!\");\n",
  "args": {"attrs": "rust"}
}`),
		Plan: planExample,
	}
}

// ExampleVerdict is the example harness's verdict, the response's result.
type ExampleVerdict struct {
	// Outcome is "passed", "failed" or "ignored".
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

func planExample(stub string, raw json.RawMessage) (Plan, error) {
	var args exampleArgs
	if err := decodeArgs(raw, &args); err != nil {
		return Plan{}, err
	}
	info, err := attrsString(args.Attrs)
	if err != nil {
		return Plan{}, err
	}
	ed := edition.Default
	if args.Edition != nil {
		if err := checkEdition(*args.Edition); err != nil {
			return Plan{}, err
		}
		ed = *args.Edition
	}
	attrs := rustdoc.ParseAttrs(info)
	if reason := skipReason(attrs); reason != "" {
		return Plan{Steps: Skip, judge: func(*outcome.Compile, *outcome.Run) (json.RawMessage, error) {
			return json.Marshal(ExampleVerdict{Outcome: "ignored", Reason: reason})
		}}, nil
	}
	if attrs.Edition != "" {
		ed = attrs.Edition
	}
	prog := rustdoc.Doctest(stub)
	if attrs.TestHarness {
		prog = rustdoc.DoctestHarness(stub)
	}
	source, lines := sourceAndLines(prog.Lines)
	p := Plan{
		Source:  source,
		Edition: ed,
		Lines:   lines,
		judge: func(compile *outcome.Compile, run *outcome.Run) (json.RawMessage, error) {
			if compile == nil {
				return nil, errors.New("an example that is not skipped is compiled")
			}
			return json.Marshal(judgeExample(attrs, *compile, run))
		},
	}
	if attrs.NoRun {
		p.Steps = CompileOnly
	}
	if attrs.TestHarness {
		// rustdoc compiles the block with --test and runs the test
		// binary: it passes when every test does (exit status 0).
		p.runTests(testSelection{})
	}
	return p, nil
}

// attrsString reads attrs: absent, a string, or an array of strings (its
// tokens, joined as one info string).
func attrsString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return strings.Join(list, ","), nil
	}
	return "", &ArgError{Field: "attrs", Message: `must be a string such as "rust,no_run" or an array of strings`}
}

// skipReason says why a block is not tested at all, or "".
func skipReason(a rustdoc.Attrs) string {
	switch {
	case a.SyntaxError != "":
		return fmt.Sprintf("not tested: rustdoc cannot read the attributes (%s), so the block is not a Rust doctest", a.SyntaxError)
	case !a.Rust:
		if len(a.Unknown) > 0 {
			return fmt.Sprintf("not Rust: the block is marked %q, so it is not a doctest", strings.Join(a.Unknown, ","))
		}
		return "not Rust: the block is marked custom, so it is not a doctest"
	case a.IgnoredOn(exampleTarget):
		if len(a.IgnoreTargets) > 0 {
			return fmt.Sprintf("marked ignore-%s, which matches the target %s", strings.Join(a.IgnoreTargets, ", ignore-"), exampleTarget)
		}
		return "marked ignore: not compiled, not run"
	}
	return ""
}

// judgeExample is rustdoc's verdict on a doctest that was compiled, from
// what happened (run is nil when it did not run). Limits are the
// sandbox's and never count as the expected failure: a should_panic
// example that times out has not panicked.
func judgeExample(a rustdoc.Attrs, compile outcome.Compile, run *outcome.Run) ExampleVerdict {
	pass := func(r string) ExampleVerdict { return ExampleVerdict{Outcome: "passed", Reason: r} }
	fail := func(r string) ExampleVerdict { return ExampleVerdict{Outcome: "failed", Reason: r} }
	if compile.Limit != outcome.LimitNone {
		return fail(fmt.Sprintf("the compiler hit its %s", compile.Limit.Name()))
	}
	if a.CompileFail {
		if compile.Success {
			return fail("the example compiled, but it is marked compile_fail")
		}
		var missing []string
		for _, code := range a.ErrorCodes {
			if !strings.Contains(compile.Stderr, "error["+code+"]") {
				missing = append(missing, code)
			}
		}
		if len(missing) > 0 {
			return fail(fmt.Sprintf("the example failed to compile, but without the expected error codes %s", strings.Join(missing, ", ")))
		}
		return pass("the example failed to compile, as compile_fail expects")
	}
	if !compile.Success {
		return fail("the example does not compile")
	}
	if run == nil {
		return pass("the example compiled; no_run: not run")
	}
	if run.Limit != outcome.LimitNone {
		return fail(fmt.Sprintf("the run hit its %s", run.Limit.Name()))
	}
	how := "it panicked or aborted"
	if run.Trap == "" && run.ExitCode != nil {
		how = fmt.Sprintf("it exited with status %d", *run.ExitCode)
	}
	if a.ShouldPanic {
		if run.Succeeded() {
			return fail("the example ran to completion, but it is marked should_panic")
		}
		return pass(fmt.Sprintf("the example failed as should_panic expects: %s", how))
	}
	if !run.Succeeded() {
		return fail(fmt.Sprintf("the example failed: %s (see run.stderr)", how))
	}
	return pass("the example ran to completion")
}
