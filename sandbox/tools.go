package sandbox

import (
	"context"
	"fmt"
	"regexp"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/rustfmt"
)

// The playground's Format and Clippy buttons: rustfmt on the stub, and
// clippy-driver on the harness's source, both in the compile jail and
// both admitted like a job (a slot of the gate: they are native tools as
// heavy as a small compile).

// Formatter formats a source; *rustfmt.Formatter implements it.
type Formatter interface {
	Format(ctx context.Context, src []byte, edition string, limits jail.Limits) (rustfmt.Output, error)
}

// FormatRequest is a stub to format.
type FormatRequest struct {
	Stub string
	// Edition is one of edition.All; "" is edition.Default.
	Edition string
	Client  string
}

// FormatStatusError is a format's status when rustfmt could not format
// the stub (a syntax error, or a limit).
const FormatStatusError = "format_error"

// FormatResponse is what became of a format: the formatted stub, or
// rustfmt's message.
type FormatResponse struct {
	// Status is "ok" or FormatStatusError.
	Status string `json:"status"`
	Stub   string `json:"stub,omitempty"`
	Stderr string `json:"stderr,omitempty"`
}

// Format formats req.Stub with rustfmt. The stub is formatted as it is
// (it is the whole input, so rustfmt's locations are the stub's own
// lines); a stub rustfmt cannot format is a FormatResponse, not an error.
func (s *Service) Format(ctx context.Context, req FormatRequest) (FormatResponse, error) {
	if s.formatter == nil {
		return FormatResponse{}, fmt.Errorf("format: no formatter")
	}
	if err := (Request{Harness: "-", Stub: req.Stub}).Validate(s.cfg.MaxStubBytes); err != nil {
		return FormatResponse{}, err
	}
	if req.Edition != "" && !edition.Valid(req.Edition) {
		return FormatResponse{}, Invalid("edition", "edition %q is not one of %s", req.Edition, edition.Quoted())
	}
	leave, err := s.gate.enter(ctx, req.Client, nil)
	if err != nil {
		return FormatResponse{}, err
	}
	defer leave()
	out, err := s.formatter.Format(ctx, []byte(req.Stub), req.Edition, s.cfg.FormatLimits)
	if err != nil {
		return FormatResponse{}, fmt.Errorf("format: %w", err)
	}
	if !out.OK {
		return FormatResponse{Status: FormatStatusError, Stderr: out.Stderr}, nil
	}
	return FormatResponse{Status: string(outcome.StatusOK), Stub: string(out.Formatted)}, nil
}

// ClippyResponse is what Clippy found: the compile section as execute
// reports it, its diagnostics (Clippy's lints among them, as warnings)
// at the stub's lines.
type ClippyResponse struct {
	Status  outcome.Status `json:"status"`
	Compile *CompileReport `json:"compile"`
}

// Clippy checks req with clippy-driver: the harness plans it as for a
// run, and the plan's source is checked with the compile's own command
// line (compiler.Input.Lint). Memoized in the module store like
// compiles, and shared while in flight.
func (s *Service) Clippy(ctx context.Context, req Request) (ClippyResponse, error) {
	h, err := s.validate(req)
	if err != nil {
		return ClippyResponse{}, err
	}
	if len(req.Files) > 0 {
		return ClippyResponse{}, Invalid("files", "Clippy checks a single stub; a project's files are not linted")
	}
	if req.Limits, err = effective(req.Limits, s.defaultLimits, s.maxLimits); err != nil {
		return ClippyResponse{}, err
	}
	req.Stub = normalizeStub(req.Stub)
	if req.Args, err = canonicalArgs(req.Args); err != nil {
		return ClippyResponse{}, fmt.Errorf("canonical args (validated as JSON): %w", err)
	}
	stopWaiting, err := s.holdQueued(req)
	if err != nil {
		return ClippyResponse{}, err
	}
	defer stopWaiting()
	plan, err := s.plan(ctx, h, req, nil)
	if err != nil {
		return ClippyResponse{}, err
	}
	if plan.Steps == harnesses.Skip || len(plan.Source) == 0 {
		return ClippyResponse{Status: outcome.StatusOK}, nil
	}
	leave, err := s.gate.enter(ctx, req.Client, nil)
	if err != nil {
		return ClippyResponse{}, err
	}
	defer leave()
	stopWaiting()

	c, err := s.lint(ctx, plan, req.Limits)
	if err != nil {
		return ClippyResponse{}, fmt.Errorf("clippy: %w", err)
	}
	out := c.out
	out.Diagnostics = stubLints(plan, out.Diagnostics)
	rep, err := plan.Report(&out.Compile, nil)
	if err != nil {
		return ClippyResponse{}, fmt.Errorf("report of %s: %w", req.Harness, err)
	}
	report := compileReport(out, 0, rep)
	report.Cached = c.tier != cache.Miss
	return ClippyResponse{Status: outcome.Of(&out.Compile, nil), Compile: report}, nil
}

// warningsEmitted is rustc's summary line, which counts the lints left
// out with the rest.
var warningsEmitted = regexp.MustCompile(`^\d+ warnings? emitted$`)

// stubLints leaves out the warnings in the harness's own code: they are
// not the stub's to fix. When it leaves any out, the count rustc gives
// of them all goes too.
func stubLints(plan harnesses.Plan, ds []outcome.Diagnostic) []outcome.Diagnostic {
	kept := ds[:0:0]
	dropped := false
	for _, d := range ds {
		if line, _ := plan.Lines.StubPosition(d.Line, d.Column); d.Level != "error" && d.Line > 0 && line == 0 {
			dropped = true
			continue
		}
		kept = append(kept, d)
	}
	if !dropped {
		return kept
	}
	out := kept[:0]
	for _, d := range kept {
		if d.Line == 0 && d.Level == "warning" && warningsEmitted.MatchString(d.Message) {
			continue
		}
		out = append(out, d)
	}
	return out
}

// lint runs clippy on plan's source, from the module store when it has
// the outcome (under a key of its own).
func (s *Service) lint(ctx context.Context, plan harnesses.Plan, lim Limits) (cachedCompile, error) {
	in := compiler.Input{Source: plan.Source, Edition: plan.Edition, Limits: lim.compile(s.cfg.CompileLimits), Lint: true}
	if s.modules == nil {
		out, err := s.compiler.Compile(ctx, in)
		return cachedCompile{out: out, tier: cache.Miss}, err
	}
	key := digestOf("clippy v1", s.fingerprint, plan.Edition, string(plan.Source), fmt.Sprint(lim.CompileWallTimeMS, "/", lim.CompileMemoryBytes))
	return s.moduleFlight.do(ctx, key, func(ctx context.Context) (cachedCompile, error) {
		if c, ok := s.storedOutcome(key); ok {
			return c, nil
		}
		return s.compileAndStore(ctx, in, key)
	})
}
