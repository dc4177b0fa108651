// Package rustfmt formats a stub with rustfmt, in the compile jail like
// any compile: rustfmt is a native tool (it links librustc_driver) and
// the stub is untrusted input to it. It reads the stub on standard input
// and writes the formatted stub to standard output, so it has no file
// to follow: in stdin mode rustfmt does not load out-of-line modules
// (`mod a;`, `#[path = "/etc/passwd"] mod a;`), and its configuration is
// an empty file given by path, so it discovers none (no rustfmt.toml
// from the working directory, its parents or a home directory). The jail
// binds nothing of the host but the toolchain, read-only.
package rustfmt

import (
	"context"
	"fmt"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// Runner runs one command with limits; the jail implements it.
type Runner interface {
	Run(ctx context.Context, cmd jail.Command) (jail.Result, error)
}

// Formatter runs rustfmt through a Runner.
type Formatter struct {
	path   string
	runner Runner
}

// New returns a formatter running the rustfmt at path (the toolchain's,
// toolchain.Rustfmt) through r.
func New(path string, r Runner) *Formatter { return &Formatter{path: path, runner: r} }

// Output is what a format did: the formatted source, or why there is
// none.
type Output struct {
	// OK: Formatted is the whole formatted source.
	OK        bool
	Formatted []byte
	// Stderr is rustfmt's message when it could not format (a syntax
	// error, at the source's own lines: the source is the stub itself),
	// or what limit stopped it.
	Stderr string
	Limit  outcome.Limit
}

// configName is the empty configuration file: given by path, it stops
// rustfmt from looking for one anywhere else.
const configName = "rustfmt.toml"

// Args returns rustfmt's arguments for edition ed: standard input to
// standard output, the empty configuration, no colour.
func Args(ed string) []string {
	return []string{"--edition", ed, "--emit", "stdout", "--color", "never", "--config-path", configName}
}

// Format formats src under limits. Errors are failures of the machinery;
// a source rustfmt cannot format is an Output with OK false.
func (f *Formatter) Format(ctx context.Context, src []byte, ed string, limits jail.Limits) (Output, error) {
	if ed == "" {
		ed = edition.Default
	}
	if !edition.Valid(ed) {
		return Output{}, fmt.Errorf("unsupported edition %q", ed)
	}
	res, err := f.runner.Run(ctx, jail.Command{
		Path:   f.path,
		Args:   Args(ed),
		Env:    []string{},
		Files:  map[string][]byte{configName: nil},
		Stdin:  src,
		Limits: limits,
	})
	if err != nil {
		return Output{}, fmt.Errorf("run rustfmt: %w", err)
	}
	out := Output{Limit: res.Limit, Stderr: strings.ReplaceAll(string(res.Stderr), "<stdin>", "main.rs")}
	switch {
	case res.Limit == outcome.LimitTime:
		out.Stderr = "rustfmt did not finish within its time limit\n"
	case res.Limit == outcome.LimitMemory:
		out.Stderr = "rustfmt ran out of its memory limit\n"
	case res.Limit == outcome.LimitOutput:
		out.Stderr = "the formatted source is larger than rustfmt's output limit\n"
	case res.Signaled:
		out.Stderr += fmt.Sprintf("\n[rustfmt was killed by signal %d]\n", res.ExitCode-128)
	case res.ExitCode == 0:
		out.OK, out.Formatted = true, res.Stdout
	case out.Stderr == "":
		out.Stderr = fmt.Sprintf("rustfmt exited with status %d\n", res.ExitCode)
	}
	return out, nil
}
