package harnesses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
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
		Prepare: prepareExample,
	}
}

// exampleVerdict is the example harness's result.
type exampleVerdict struct {
	// Outcome is "passed", "failed" or "ignored".
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

func prepareExample(stub string, raw json.RawMessage) (Prepared, error) {
	var args exampleArgs
	if err := decodeArgs(raw, &args); err != nil {
		return Prepared{}, err
	}
	info, err := attrsString(args.Attrs)
	if err != nil {
		return Prepared{}, err
	}
	ed := edition.Default
	if args.Edition != nil {
		if err := checkEdition(*args.Edition); err != nil {
			return Prepared{}, err
		}
		ed = *args.Edition
	}
	attrs := rustdoc.ParseAttrs(info)
	if reason := skipReason(attrs); reason != "" {
		return Prepared{Skip: true, Verdict: func(Outcome) (json.RawMessage, error) {
			return json.Marshal(exampleVerdict{Outcome: "ignored", Reason: reason})
		}}, nil
	}
	if attrs.Edition != "" {
		ed = attrs.Edition
	}
	source, lines := sourceAndLines(rustdoc.Doctest(stub).Lines)
	return Prepared{
		Source:      source,
		Edition:     ed,
		StubLine:    1,
		Lines:       lines,
		CompileOnly: attrs.NoRun,
		Verdict: func(o Outcome) (json.RawMessage, error) {
			return json.Marshal(judgeExample(attrs, o))
		},
	}, nil
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
	case a.TestHarness:
		return "test_harness blocks need rustdoc's test runner (rustc --test), which this service does not provide"
	}
	return ""
}

// judgeExample is rustdoc's verdict on a doctest, from what happened.
// Limits are the sandbox's and never count as the expected failure: a
// should_panic example that times out has not panicked.
func judgeExample(a rustdoc.Attrs, o Outcome) exampleVerdict {
	pass := func(r string) exampleVerdict { return exampleVerdict{Outcome: "passed", Reason: r} }
	fail := func(r string) exampleVerdict { return exampleVerdict{Outcome: "failed", Reason: r} }
	if o.CompileLimit != "" {
		return fail(fmt.Sprintf("the compiler hit its %s", limitName(o.CompileLimit)))
	}
	if a.CompileFail {
		if o.Compiled {
			return fail("the example compiled, but it is marked compile_fail")
		}
		var missing []string
		for _, code := range a.ErrorCodes {
			if !strings.Contains(o.CompileStderr, "error["+code+"]") {
				missing = append(missing, code)
			}
		}
		if len(missing) > 0 {
			return fail(fmt.Sprintf("the example failed to compile, but without the expected error codes %s", strings.Join(missing, ", ")))
		}
		return pass("the example failed to compile, as compile_fail expects")
	}
	if !o.Compiled {
		return fail("the example does not compile")
	}
	if !o.Ran {
		return pass("the example compiled; no_run: not run")
	}
	if o.RunLimit != "" {
		return fail(fmt.Sprintf("the run hit its %s", limitName(o.RunLimit)))
	}
	exited0 := o.Trap == "" && o.ExitCode != nil && *o.ExitCode == 0
	how := "it panicked or aborted"
	if o.Trap == "" && o.ExitCode != nil {
		how = fmt.Sprintf("it exited with status %d", *o.ExitCode)
	}
	if a.ShouldPanic {
		if exited0 {
			return fail("the example ran to completion, but it is marked should_panic")
		}
		return pass(fmt.Sprintf("the example failed as should_panic expects: %s", how))
	}
	if !exited0 {
		return fail(fmt.Sprintf("the example failed: %s (see run.stderr)", how))
	}
	return pass("the example ran to completion")
}

func limitName(limit string) string {
	switch limit {
	case "timeout":
		return "time limit"
	case "memory_limit":
		return "memory limit"
	case "output_limit":
		return "output limit"
	}
	return limit + " limit"
}
