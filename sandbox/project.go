package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/project"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// projectOf is a request's project, checked: where its crate root is,
// its other files, cargo's identity of it, and the edition its Cargo.toml
// asks for. A request without files has none (nil).
type projectOf struct {
	root    string            // project.BinRoot or project.LibRoot
	source  string            // the crate root's content, as sent (or the stub)
	others  map[string][]byte // every file but the root
	pkg     project.Package
	edition string
	renames map[string]string // Cargo.toml's renamed dependencies
}

// checkProject checks req's files (before anything is prepared, so a bad
// set costs nothing): the limits and path rules, the crate root the
// harness can take, and the Cargo.toml against the profile.
func (s *Service) checkProject(req Request, h *harnesses.Harness) (*projectOf, error) {
	if len(req.Files) == 0 {
		return nil, nil
	}
	err := project.Check(req.Files, project.Limits{MaxFiles: s.cfg.MaxFiles, MaxBytes: s.cfg.MaxFilesBytes}, req.Stub != "")
	if err != nil {
		return nil, fileError(err)
	}
	p := &projectOf{root: project.BinRoot, source: req.Stub, others: make(map[string][]byte, len(req.Files))}
	if req.Stub == "" {
		if _, ok := req.Files[project.LibRoot]; ok {
			p.root = project.LibRoot
		}
		p.source = string(req.Files[p.root]) // UTF-8: project.Check
	}
	if p.root == project.LibRoot && !h.Library {
		return nil, Invalid(fileField(project.LibRoot), "the %s harness runs a binary: send %s (a library's tests run under the test harness)", h.ID, project.BinRoot)
	}
	for path, content := range req.Files {
		if path != p.root {
			p.others[path] = content
		}
	}
	if text, ok := req.Files[project.ManifestPath]; ok {
		m, err := project.ParseManifest(string(text), s.profile, edition.Valid)
		if err != nil {
			return nil, fileError(err)
		}
		p.pkg, p.edition, p.renames = m.Package, m.Edition, m.Renames
	}
	return p, nil
}

// fileError is a project.FileError as the request's coded error.
func fileError(err error) error {
	var fe *project.FileError
	if !errors.As(err, &fe) {
		return fmt.Errorf("check files: %w", err)
	}
	field := "files"
	if fe.Path != "" {
		field = fileField(fe.Path)
	}
	if fe.TooLarge {
		return Errorf(CodeTooLarge, field, "%s", fe.Message)
	}
	return Invalid(field, "%s", fe.Message)
}

// fileField names a file of the request as a field: files["src/main.rs"].
func fileField(path string) string { return fmt.Sprintf("files[%q]", path) }

// edition is the crate's edition: the harness's (its args), else the
// Cargo.toml's. Both given and different is the caller's mistake.
func (p *projectOf) editionFor(plan harnesses.Plan) (string, error) {
	if p == nil || p.edition == "" {
		return plan.Edition, nil
	}
	if plan.Edition != "" && plan.Edition != p.edition {
		return "", Invalid("args.edition", "args.edition %q and Cargo.toml's package.edition %q disagree", plan.Edition, p.edition)
	}
	return p.edition, nil
}

// compileInput is what the compiler gets for req's plan (and the
// project).
func (s *Service) compileInput(req Request, plan harnesses.Plan, p *projectOf) compiler.Input {
	in := compiler.Input{Source: plan.Source, Edition: plan.Edition, Limits: req.Limits.compile(s.cfg.CompileLimits), Test: plan.Test}
	if p != nil {
		in.Root, in.Files, in.Package, in.Renames = p.root, p.others, p.pkg, p.renames
	}
	in.Incremental = incrementalID(req, in)
	return in
}

// incrementalID names the incremental directory of req's compile: one
// per client (as the server knows it: an API key's name, else the remote
// address), session token, harness and crate, so that a directory is
// only ever read by the same client's later compiles of the same project
// (docs/security.md, "Incremental compile directories"). Without a
// session there is none: the compile starts from an empty directory.
func incrementalID(req Request, in compiler.Input) string {
	if req.Session == "" {
		return ""
	}
	test := ""
	if in.Test {
		test = "test"
	}
	return digestOf("incremental v1", req.Client, req.Session, req.Harness, in.Root, in.Package.CrateName(), test)
}

// compileKeyParts are what a project and a test build add to a module's
// key: nothing for a single stub's plain build, so those keys stay as
// they were.
func compileKeyParts(in compiler.Input) []string {
	var parts []string
	if in.Test {
		parts = append(parts, "test")
	}
	if in.Root == "" && len(in.Files) == 0 {
		return parts
	}
	pkg := in.Package.WithDefaults()
	parts = append(parts, "project", in.Root, pkg.Name, pkg.Version, strings.Join(pkg.Authors, ":"),
		pkg.Description, pkg.Homepage, pkg.Repository, pkg.License, pkg.RustVersion)
	return append(parts, canonicalFiles(in.Files)...)
}

// canonicalFiles is a file set in one order: each path, then its content.
func canonicalFiles[T ~string | ~[]byte](files map[string]T) []string {
	paths := make([]string, 0, len(files))
	for path := range files {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	out := make([]string, 0, 2*len(paths))
	for _, path := range paths {
		out = append(out, path, string(files[path]))
	}
	return out
}

// runFiles is the project's tree as the guest sees it: every file as it
// was sent (the crate root too), at the virtual root.
func (s *Service) runFiles(req Request, p *projectOf) *wasmrt.Files {
	if p == nil {
		return nil
	}
	files := make(map[string][]byte, len(p.others)+1)
	for path, content := range p.others {
		files[path] = content
	}
	files[p.root] = []byte(p.source)
	return &wasmrt.Files{Root: project.Root, Files: files, ScratchBytes: s.cfg.ScratchBytes}
}

// runPlan carries out plan's runs of the compiled module c: one with
// plan.Input, or as many as plan.Drive makes. A driven plan's result
// adds up its runs (time, CPU), keeps their peak memory and any
// truncation, and reports the run Drive returns.
func (s *Service) runPlan(ctx context.Context, c cachedCompile, in compiler.Input, plan harnesses.Plan, seed [32]byte, lim wasmrt.Limits, files *wasmrt.Files) (wasmrt.Result, error) {
	job := func(input harnesses.Input) wasmrt.Job {
		return wasmrt.Job{
			Seed:          seed,
			Limits:        lim,
			Stdin:         input.Stdin,
			Args:          append([]string{wasmrt.DefaultArgv0}, input.Args...),
			Env:           input.Env,
			Files:         files,
			Connections:   input.Connections,
			TrackResponse: trackResponse(input.TrackResponse),
		}
	}
	if plan.Drive == nil {
		return s.run(ctx, c, in, job(plan.Input))
	}
	var total wasmrt.Result
	ran, err := plan.Drive(func(input harnesses.Input) (*outcome.Run, error) {
		res, err := s.run(ctx, c, in, job(input))
		if err != nil {
			return nil, err
		}
		total.Duration += res.Duration
		total.CPU += res.CPU
		total.PeakMemoryBytes = max(total.PeakMemoryBytes, res.PeakMemoryBytes)
		total.StdoutTruncated = total.StdoutTruncated || res.StdoutTruncated
		total.StderrTruncated = total.StderrTruncated || res.StderrTruncated
		return &res.Run, nil
	})
	if err != nil {
		return wasmrt.Result{}, err
	}
	total.Run = *ran
	return total, nil
}
