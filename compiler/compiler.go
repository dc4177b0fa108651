// Package compiler turns one Rust source file into a wasm32-wasip1 module
// against the prepared toolchain: it builds the rustc command line from
// the set-up manifest (so no dependency is ever rebuilt), hands it to a
// Runner (the jail, in production), and reads rustc's JSON diagnostics
// back into structured items. It never puts request data on the command
// line: only the source file's contents come from the request.
package compiler

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
	"github.com/rocket-sandbox/rocket-sandbox/incremental"
	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/project"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// Runner runs one command with limits; the jail implements it.
type Runner interface {
	Run(ctx context.Context, cmd jail.Command) (jail.Result, error)
}

// Config holds the compile settings: plain data, its defaults in
// DefaultConfig, checked by Validate. New reads a zero field as the
// default, a convenience for configurations built in code.
type Config struct {
	// OptLevel for the stub's own code (dependencies are prebuilt at
	// opt-level 2): one of 0 1 2 3 s z. Default "0": it compiles a Rocket
	// stub 5-7x faster than "1" and the modules run as fast
	// (docs/performance.md).
	OptLevel string `json:"opt_level"`
	// CodegenUnits for the stub, 1..256. Default 16: every compile is
	// incremental (see Compile), and an edit then recompiles only the
	// units it touched (Rocket's hello example: about 0.4× a cold
	// compile's time with 16, no gain with 1; docs/performance.md).
	CodegenUnits int `json:"codegen_units"`
	// LinkerOptLevel is the linker's -O level (rust-lld's wasm-ld): one
	// of 0 1 2. Default "0": a hello-world stub compiles and links in
	// 0.70× the time of lld's default (2), with the same module size and
	// run time (docs/performance.md).
	LinkerOptLevel string `json:"linker_opt_level"`
	// ExtraArgs are appended to rustc's flags (operators' experiments and
	// the flags benchmark; never from requests).
	ExtraArgs []string `json:"extra_args"`
	// MaxDiagnostics caps the structured diagnostics kept, 1..10000.
	// Default 100.
	MaxDiagnostics int `json:"max_diagnostics"`
	// MaxModuleBytes caps the wasm module a compile may produce (default
	// 16 MiB; 64 KiB..1 GiB). A larger one is a compile error saying so:
	// a big initialized static makes a module of its size in under a
	// second, and every cache tier would then hold it.
	MaxModuleBytes int64 `json:"max_module_bytes"`
}

// DefaultMaxModuleBytes is the default module cap: a Rocket module is
// 2-4 MB.
const DefaultMaxModuleBytes int64 = 16 << 20

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{OptLevel: "0", CodegenUnits: 16, LinkerOptLevel: "0", MaxDiagnostics: 100, MaxModuleBytes: DefaultMaxModuleBytes}
}

// Validate refuses values rustc or the diagnostics reader cannot use,
// naming each by its key.
func (c Config) Validate() error {
	var l check.List
	check.OneOf(&l, "opt_level", c.OptLevel, "0", "1", "2", "3", "s", "z")
	check.Range(&l, "codegen_units", c.CodegenUnits, 1, 256)
	check.OneOf(&l, "linker_opt_level", c.LinkerOptLevel, "0", "1", "2")
	check.Range(&l, "max_diagnostics", c.MaxDiagnostics, 1, 10_000)
	check.Range(&l, "max_module_bytes", c.MaxModuleBytes, 64<<10, 1<<30)
	return l.Err()
}

func (c Config) withDefaults() Config {
	return check.WithDefaults(c, DefaultConfig())
}

// Compiler compiles sources against one build of the prepared
// toolchain.
type Compiler struct {
	rustc  string
	build  toolchain.Build
	runner Runner
	cfg    Config
}

// New returns a compiler for build b of the prepared toolchain m
// (m.Wasm() for the service; m.Native() for the parity tool's reference),
// running rustc through r.
func New(m *toolchain.Manifest, b toolchain.Build, r Runner, cfg Config) *Compiler {
	return &Compiler{rustc: m.Rustc, build: b, runner: r, cfg: cfg.withDefaults()}
}

// Input is one compile.
type Input struct {
	// Source is the complete crate root (a single stub's main.rs).
	Source []byte
	// Edition is one of edition.All; "" is edition.Default.
	Edition string
	Limits  jail.Limits
	// Root is where Source is written below project.Root: "" is
	// "main.rs", a single stub's layout; a project's crate root is
	// "src/main.rs" or "src/lib.rs".
	Root string
	// Files are the project's other files by path below project.Root
	// (checked by package project), there for the compile to read
	// (`mod`, include_str!, #[path]).
	Files map[string][]byte
	// Package is cargo's identity of the crate (its environment, its
	// crate name); the zero value is project's defaults.
	Package project.Package
	// Renames are dependencies a project's Cargo.toml names under
	// another crate name (package project's Manifest.Renames: crate
	// name → profile package): each is one more --extern, the crate's
	// rlib under that name, as cargo passes a renamed dependency.
	Renames map[string]string
	// Test compiles the crate's tests (--test) instead of the crate.
	Test bool
	// Lint checks the crate with clippy-driver instead: the same command
	// line (the same jail, externs, sysroot and edition), but only as far
	// as metadata, so there is no module; the diagnostics include
	// Clippy's lints.
	Lint bool
	// Incremental names the client's incremental directory (an id, see
	// package incremental) for the runner to start the compile from;
	// "" starts from an empty one. Every build compiles incrementally,
	// so the module's bytes do not depend on it.
	Incremental string
}

// rootPath is where in's crate root goes.
func (in Input) rootPath() string {
	if in.Root == "" {
		return sourceName
	}
	return in.Root
}

// moduleIn is where in's module is written: a project's own files may
// be named anything, so its output goes to target/, the one top-level
// name package project keeps for it, as cargo's does.
func (in Input) moduleIn() string {
	if len(in.Files) == 0 && in.Root == "" {
		return moduleName
	}
	return projectModule
}

// Output is what a compile did: how it ended (the embedded
// outcome.Compile: success, the limit hit, the diagnostics positioned in
// main.rs and their rendered text), the module, and what it used. A failed
// compile is an Output with Success false, not an error.
type Output struct {
	outcome.Compile
	Module   []byte
	ExitCode int
	// Signaled: the compiler was killed by a signal (a crash, or a kill
	// from outside the job); such an outcome is not the stub's alone.
	Signaled bool
	Duration time.Duration
	Usage    jail.Usage
}

const (
	sourceName    = "main.rs"
	moduleName    = "main.wasm"
	projectModule = project.OutputDir + "/main.wasm"
)

// Args returns rustc's arguments for compiling main.rs to main.wasm in the
// working directory. Every value comes from the manifest and the config.
func (c *Compiler) Args(ed string) []string {
	return c.args(Input{Edition: ed})
}

// args returns rustc's arguments for in, in the working directory.
// Every value comes from the manifest, the config, and in's shape (its
// root's fixed path, a crate name package project checked, --test).
func (c *Compiler) args(in Input) []string {
	crateType := "bin"
	if in.Root == project.LibRoot && !in.Test {
		crateType = "lib"
	}
	args := []string{
		"--edition", in.Edition,
		"--crate-type", crateType,
		"--crate-name", in.Package.CrateName(),
		"--error-format=json",
		"-C", "opt-level=" + c.cfg.OptLevel,
		"-C", "codegen-units=" + strconv.Itoa(c.cfg.CodegenUnits),
		"-C", "debuginfo=0",
		"-C", "strip=debuginfo",
		"-C", "link-arg=-O" + c.cfg.LinkerOptLevel,
	}
	args = append(args, c.build.Flags...)
	args = append(args, "-L", "dependency="+c.build.Deps, "-L", "dependency="+c.build.HostDeps)
	externs := make(map[string]string, len(c.build.Externs)+len(in.Renames))
	for n, path := range c.build.Externs {
		externs[n] = path
	}
	// A renamed dependency is the profile crate's rlib under the name the
	// code uses; a name that is also a profile crate's (`rocket = {
	// package = "tokio" }`) means the renamed crate, as under cargo.
	for alias, pkg := range in.Renames {
		if path, ok := c.build.Externs[strings.ReplaceAll(pkg, "-", "_")]; ok {
			externs[alias] = path
		}
	}
	names := make([]string, 0, len(externs))
	for n := range externs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		args = append(args, "--extern", n+"="+externs[n])
	}
	args = append(args, c.cfg.ExtraArgs...)
	if in.Test {
		// Tests run one per instance, by name, in libtest's panic=abort
		// mode (a panic aborts its instance only; should_panic is judged
		// inside it), which -Zpanic-abort-tests builds. Its -Z needs
		// RUSTC_BOOTSTRAP (testEnv); -Zallow-features= keeps the crate
		// itself on stable Rust: a #![feature] is an error, as under
		// cargo test.
		args = append(args, "--test", "-Zpanic-abort-tests", "-Zallow-features=")
		if c.build.Native {
			args = append(args, "-C", "panic=abort")
		}
	}
	if in.Lint {
		// Type-checked and linted, not code-generated.
		return append(args, "--emit=metadata", in.rootPath(), "-o", in.moduleIn())
	}
	// Always incremental, from the client's directory or an empty one:
	// rustc's partitioning into codegen units differs with and without
	// -C incremental, so one setting for every compile is what makes a
	// module's bytes the same whichever directory it started from
	// (TestIncrementalModulesAreTheColdOnes).
	args = append(args, "-C", "incremental="+incremental.WorkDir)
	return append(args, in.rootPath(), "-o", in.moduleIn())
}

// Compile compiles in.Source. Errors are failures of the machinery.
func (c *Compiler) Compile(ctx context.Context, in Input) (Output, error) {
	ed := in.Edition
	if ed == "" {
		ed = edition.Default
	}
	if !edition.Valid(ed) {
		return Output{}, fmt.Errorf("unsupported edition %q", ed)
	}
	in.Edition = ed
	files := make(map[string][]byte, len(in.Files)+2)
	for name, data := range in.Files {
		files[name] = data
	}
	files[in.rootPath()] = in.Source
	if in.moduleIn() == projectModule {
		files[project.OutputDir+"/.keep"] = nil // rustc does not create its output's directory
	}
	tool, collect := c.rustc, []string{in.moduleIn()}
	if in.Lint {
		tool, collect = toolchain.ClippyDriver, nil
	}
	start := time.Now()
	res, err := c.runner.Run(ctx, jail.Command{
		Path: tool,
		Args: c.args(in),
		// Cargo's variables, as it would set them for this crate (so
		// env!("CARGO_MANIFEST_DIR") and relative!() compile), then the
		// build's own.
		Env:         append(append(in.Package.Env(in.Root != project.LibRoot), c.build.Env...), testEnv(in.Test)...),
		Files:       files,
		Collect:     collect,
		Incremental: incrementalOf(in),
		Limits:      in.Limits,
	})
	if err != nil {
		return Output{}, fmt.Errorf("run %s: %w", tool, err)
	}
	out := Output{
		Compile:  outcome.Compile{Limit: res.Limit},
		ExitCode: res.ExitCode,
		Signaled: res.Signaled,
		Duration: time.Since(start),
		Usage:    res.Usage,
	}
	out.Diagnostics, out.Stderr = parseProjectDiagnostics(res.Stderr, c.cfg.MaxDiagnostics, in.rootPath(), in.moduleIn() == projectModule)
	if res.StderrTruncated {
		out.Stderr += "\n[diagnostics truncated]\n"
	}
	if res.Signaled && res.Limit == outcome.LimitNone {
		out.Stderr += fmt.Sprintf("\n[the compiler was killed by signal %d]\n", res.ExitCode-128)
	}
	if in.Lint {
		out.Success = res.ExitCode == 0 && !res.Signaled && res.Limit == outcome.LimitNone
		return out, nil
	}
	if res.ExitCode == 0 && !res.Signaled && res.Limit == outcome.LimitNone {
		mod, ok := res.Files[in.moduleIn()]
		switch {
		case !ok:
			// The jail leaves out a file over its collect limit.
			out.refuse("the compiler produced no module it could read back (a module over the jail's max_collect_file_bytes is not)")
		case !c.build.Native && int64(len(mod)) > c.cfg.MaxModuleBytes:
			out.refuse(fmt.Sprintf("the compiled module is %d bytes, over the limit of %d bytes for a module; "+
				"make large data smaller (such as a big initialized `static`) or build it at run time", len(mod), c.cfg.MaxModuleBytes))
		default:
			out.Success = true
			out.Module = mod
		}
	}
	return out, nil
}

// incrementalOf is the directory a compile starts from: a lint writes
// none.
func incrementalOf(in Input) string {
	if in.Lint {
		return ""
	}
	return in.Incremental
}

// testEnv is what a test build adds to the compiler's environment:
// RUSTC_BOOTSTRAP for -Zpanic-abort-tests (see args).
func testEnv(test bool) []string {
	if !test {
		return nil
	}
	return []string{"RUSTC_BOOTSTRAP=1"}
}

// refuse makes a finished compile a compile error with msg, as rustc
// would report an error: a diagnostic without a position, and a line on
// stderr.
func (o *Output) refuse(msg string) {
	o.Diagnostics = append(o.Diagnostics, outcome.Diagnostic{Level: "error", Message: msg})
	o.Stderr += "error: " + msg + "\n"
}

// SummaryLine is the first line of the first error, for short reports.
func (o Output) SummaryLine() string {
	for _, d := range o.Diagnostics {
		if d.Level == "error" {
			return d.Message
		}
	}
	return strings.TrimSpace(strings.SplitN(o.Stderr, "\n", 2)[0])
}
