package sandbox

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// scripted answers every compile and run as told, and remembers what it
// was given.
type scripted struct {
	out      compiler.Output
	res      wasmrt.Result
	compiles []compiler.Input
	jobs     []wasmrt.Job
}

func (s *scripted) Compile(_ context.Context, in compiler.Input) (compiler.Output, error) {
	s.compiles = append(s.compiles, in)
	return s.out, nil
}

func (s *scripted) Run(_ context.Context, job wasmrt.Job) (wasmrt.Result, error) {
	s.jobs = append(s.jobs, job)
	return s.res, nil
}

func exitCode(n int32) *int32 { return &n }

// newScriptedService is a service whose compiler and engine are fake.
func newScriptedService(t *testing.T, cfg Config, fake *scripted) *Service {
	t.Helper()
	svc, err := NewService(cfg, Deps{Harnesses: harnesses.Default(), Compiler: fake, Engine: fake})
	require.NoError(t, err)
	return svc
}

func TestRequestsAreValidatedOnceByTheDomain(t *testing.T) {
	cases := []struct {
		name, harness, stub, args string
		code                      Code
		field, message            string
	}{
		{"no harness", "", "fn main() {}", "", CodeInvalid, "harness", "required"},
		{"unknown harness", "nope", "fn main() {}", "", CodeNotFound, "harness", `unknown harness "nope" (one of: example, mock, program, serve, test)`},
		{"no stub", "program", "", "", CodeInvalid, "stub", "required"},
		{"stub over the limit", "program", strings.Repeat("x", 33), "", CodeTooLarge, "stub", "33 bytes; the limit is 32"},
		{"stub not UTF-8", "program", "fn \xc3\x28", "", CodeInvalid, "stub", "offset 3"},
		{"args not an object", "program", "fn main() {}", `[1]`, CodeInvalid, "args", "JSON object"},
		{"args not JSON", "program", "fn main() {}", `{"stdin":`, CodeInvalid, "args", "JSON object"},
		{"args the harness refuses", "program", "fn main() {}", `{"stdin": 5}`, CodeInvalid, "args.stdin", "must be string"},
		{"an unknown harness is looked up after the stub is checked", "nope", "", "", CodeInvalid, "stub", "required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := &scripted{}
			svc := newScriptedService(t, Config{MaxStubBytes: 32}, fake)
			_, err := svc.Execute(context.Background(), Request{Harness: c.harness, Stub: c.stub, Args: json.RawMessage(c.args)})
			e, ok := AsError(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, c.code, e.Code)
			assert.Equal(t, c.field, e.Field)
			assert.Contains(t, e.Message, c.message)
			assert.Empty(t, fake.compiles, "a refused request is never compiled")
		})
	}
}

func TestZeroConfigEnforcesTheDefaultStubLimit(t *testing.T) {
	fake := &scripted{out: compiler.Output{Compile: outcome.Compile{Success: true}}, res: wasmrt.Result{Run: outcome.Run{ExitCode: exitCode(0)}}}
	svc := newScriptedService(t, Config{}, fake)
	stub := strings.Repeat("a", DefaultMaxStubBytes)
	_, err := svc.Execute(context.Background(), Request{Harness: "program", Stub: stub})
	require.NoError(t, err, "exactly the limit is allowed")
	_, err = svc.Execute(context.Background(), Request{Harness: "program", Stub: stub + "a"})
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeTooLarge, e.Code)
	assert.Equal(t, "stub", e.Field)
}

// TestTheHarnessReportsWhatBecameOfItsPlan follows requests through the
// pipeline with a scripted compiler and engine: what is compiled and run
// is the plan's, the status is outcome.Of's, and the positions, stderr,
// run.result and verdict are the harness's report.
func TestTheHarnessReportsWhatBecameOfItsPlan(t *testing.T) {
	ctx := context.Background()
	t.Run("an ignored example is neither compiled nor run", func(t *testing.T) {
		fake := &scripted{}
		svc := newScriptedService(t, Config{}, fake)
		resp, err := svc.Execute(ctx, Request{Harness: "example", Stub: "not Rust {", Args: json.RawMessage(`{"attrs": "ignore"}`)})
		require.NoError(t, err)
		assert.Empty(t, fake.compiles)
		assert.Equal(t, outcome.StatusOK, resp.Status)
		assert.Nil(t, resp.Compile)
		assert.Nil(t, resp.Run)
		assert.Contains(t, string(resp.Result), `"outcome":"ignored"`)
	})

	t.Run("a compile_fail example that fails to compile, in the block's numbering", func(t *testing.T) {
		fake := &scripted{out: compiler.Output{ExitCode: 1, Compile: outcome.Compile{
			Diagnostics: []outcome.Diagnostic{{Level: "error", Message: "mismatched types", Line: 4, Column: 17}},
			Stderr:      "error[E0308]: mismatched types\n --> main.rs:4:17\n",
		}}}
		svc := newScriptedService(t, Config{}, fake)
		resp, err := svc.Execute(ctx, Request{Harness: "example", Stub: "# #![allow(dead_code)]\nlet code: u16 = 300;\n", Args: json.RawMessage(`{"attrs": "compile_fail,E0308"}`)})
		require.NoError(t, err)
		require.Len(t, fake.compiles, 1)
		assert.Contains(t, string(fake.compiles[0].Source), "fn main() {\nlet code: u16 = 300;\n}", "the plan's source is compiled")
		assert.Empty(t, fake.jobs, "nothing runs after a failed compile")
		assert.Equal(t, outcome.StatusCompileError, resp.Status)
		require.NotNil(t, resp.Compile)
		assert.Equal(t, []outcome.Diagnostic{{Level: "error", Message: "mismatched types", Line: 2, Column: 17}}, resp.Compile.Diagnostics)
		assert.Contains(t, resp.Compile.Stderr, "--> main.rs:2:17")
		assert.Nil(t, resp.Run)
		assert.Contains(t, string(resp.Result), `"outcome":"passed"`)
	})

	t.Run("a compile limit is the status", func(t *testing.T) {
		fake := &scripted{out: compiler.Output{Compile: outcome.Compile{Limit: outcome.LimitMemory}}}
		svc := newScriptedService(t, Config{}, fake)
		resp, err := svc.Execute(ctx, Request{Harness: "program", Stub: "fn main() {}"})
		require.NoError(t, err)
		assert.Equal(t, outcome.StatusMemoryLimit, resp.Status)
		assert.Equal(t, outcome.LimitMemory, resp.Compile.Usage.Limit)
	})

	t.Run("a mock app's run: stdin, run.result and a panic at the stub's line", func(t *testing.T) {
		fake := &scripted{
			out: compiler.Output{Compile: outcome.Compile{Success: true}, Module: []byte("wasm")},
			res: wasmrt.Result{Run: outcome.Run{Trap: "wasm error: unreachable", Stdout: []byte("hello\n"),
				Records: [][]byte{[]byte("request 0"), []byte("done null")},
				Stderr:  []byte("panicked at main.rs:4:5:\nboom\npanicked at main.rs:5:5:\n")}},
		}
		svc := newScriptedService(t, Config{}, fake)
		resp, err := svc.Execute(ctx, Request{Harness: "mock", Stub: "fn rocket() {}\n", Args: json.RawMessage(`{"uri": "/"}`)})
		require.NoError(t, err)
		require.Len(t, fake.jobs, 1)
		assert.Equal(t, []byte("wasm"), fake.jobs[0].Module)
		assert.Contains(t, string(fake.jobs[0].Stdin), `"uri":"/"`, "the plan's input")
		assert.Equal(t, outcome.StatusRuntimeError, resp.Status)
		require.NotNil(t, resp.Run)
		assert.Equal(t, "panicked at main.rs:1:5:\nboom\npanicked at main.rs (harness code):\n", resp.Run.Stderr,
			"line 4 of the mock program is the stub's first, line 5 the harness's")
		assert.Contains(t, string(resp.Run.Result), `"log":"hello\n"`)
		assert.Nil(t, resp.Result, "mock gives no verdict")
	})
}
