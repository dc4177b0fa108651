package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"golang.org/x/sync/singleflight"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// Compiler compiles one source file; *compiler.Compiler implements it.
type Compiler interface {
	Compile(ctx context.Context, in compiler.Input) (compiler.Output, error)
}

// Engine runs one module; *runtime.Engine implements it.
type Engine interface {
	Run(ctx context.Context, job wasmrt.Job) (wasmrt.Result, error)
}

// Service executes requests: validate, prepare through the harness,
// compile, run, report.
type Service struct {
	cfg       Config
	harnesses *harnesses.Registry
	compiler  Compiler
	engine    Engine
	gate      *gate

	// Optional caches and the single-flight groups in front of the
	// pipeline and of the compiler.
	results      Store
	modules      Store
	fingerprint  string
	flight       singleflight.Group
	moduleFlight singleflight.Group
}

// Deps are what a Service is made of besides its Config.
type Deps struct {
	Harnesses *harnesses.Registry
	Compiler  Compiler
	Engine    Engine
	// Results memoizes whole responses and Modules compiles; a nil store
	// memoizes nothing. Fingerprint names everything outside the request
	// that decides a result (the binary, and so every harness; the
	// prepared toolchain; the limits). It is part of every key, so it is
	// required with either store.
	Results     Store
	Modules     Store
	Fingerprint string
}

// NewService builds a service from all its parts at once. A bad Config is
// refused here, before anything runs.
func NewService(cfg Config, d Deps) (*Service, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("service: bad config: %w", err)
	}
	if d.Harnesses == nil || d.Compiler == nil || d.Engine == nil {
		return nil, errors.New("service: harnesses, compiler and engine are required")
	}
	if (d.Results != nil || d.Modules != nil) && d.Fingerprint == "" {
		return nil, errors.New("service: caches need a fingerprint")
	}
	return &Service{cfg: cfg, harnesses: d.Harnesses, compiler: d.Compiler, engine: d.Engine,
		gate:    newGate(cfg.MaxConcurrent, cfg.MaxQueue, cfg.QueueWait()),
		results: d.Results, modules: d.Modules, fingerprint: d.Fingerprint}, nil
}

// Harnesses describes every harness.
func (s *Service) Harnesses() []HarnessInfo {
	var out []HarnessInfo
	for _, h := range s.harnesses.All() {
		out = append(out, HarnessInfo{ID: h.ID, Description: h.Description, ArgsSchema: h.ArgsSchema, Example: h.Example})
	}
	return out
}

// Validate checks what can be checked without the harness's help.
func (s *Service) validate(req Request) (*harnesses.Harness, error) {
	if req.Harness == "" {
		return nil, Invalid("harness", "harness is required (one of: %s)", s.harnesses.IDs())
	}
	h, ok := s.harnesses.Get(req.Harness)
	if !ok {
		return nil, Invalid("harness", "unknown harness %q (one of: %s)", req.Harness, s.harnesses.IDs())
	}
	if req.Stub == "" {
		return nil, Invalid("stub", "stub is required")
	}
	if len(req.Stub) > s.cfg.MaxStubBytes {
		e := Invalid("stub", "stub is %d bytes; the limit is %d", len(req.Stub), s.cfg.MaxStubBytes)
		e.TooLarge = true
		return nil, e
	}
	if !utf8.ValidString(req.Stub) {
		return nil, Invalid("stub", "stub is not valid UTF-8")
	}
	return h, nil
}

// Execute runs one request. User mistakes come back as *Error; a program
// that fails to compile or crashes is a normal Response.
func (s *Service) Execute(ctx context.Context, req Request) (Response, error) {
	h, err := s.validate(req)
	if err != nil {
		return Response{}, err
	}
	req.Stub = normalizeStub(req.Stub)
	if req.Args, err = canonicalArgs(req.Args); err != nil {
		return Response{}, Invalid("args", "args is not valid JSON: %v", err)
	}
	prep, err := h.Prepare(req.Stub, req.Args)
	if err != nil {
		var argErr *harnesses.ArgError
		if errors.As(err, &argErr) {
			field := "args"
			if argErr.Field != "" {
				field = "args." + argErr.Field
			}
			return Response{}, Invalid(field, "%s", argErr.Message)
		}
		return Response{}, fmt.Errorf("prepare %s: %w", h.ID, err)
	}
	key := s.resultKey(req)
	if resp, ok := s.memoGet(key); ok {
		return resp, nil
	}
	// Identical requests in flight share one compile and one run.
	v, err, _ := s.flight.Do(key, func() (any, error) {
		resp, err := s.execute(ctx, h, req, prep)
		if err == nil {
			s.memoPut(key, resp)
		}
		return resp, err
	})
	if err != nil {
		return Response{}, err
	}
	return v.(Response), nil
}

// execute compiles and runs one prepared request, inside the admission
// gate.
func (s *Service) execute(ctx context.Context, h *harnesses.Harness, req Request, prep harnesses.Prepared) (Response, error) {
	seed := seedOf(req)
	resp := Response{Harness: h.ID, Seed: strconv.FormatUint(seed, 10), Cache: &CacheReport{Result: cache.Miss}}
	if prep.Skip {
		// Nothing to compile or run (an example marked ignore): nothing
		// to admit either.
		resp.Status = StatusOK
		return resp, judge(&resp, prep, harnesses.Outcome{Skipped: true})
	}
	leave, err := s.gate.enter(ctx)
	if err != nil {
		return Response{}, err
	}
	defer leave()

	out, tier, err := s.compile(ctx, prep)
	if err != nil {
		return Response{}, fmt.Errorf("compile: %w", err)
	}
	resp.Cache.Module = tier
	resp.volatile = out.Signaled
	resp.Compile = compileReport(out, prep)
	resp.Compile.Cached = tier != cache.Miss
	compiled := harnesses.Outcome{Compiled: out.Success, CompileLimit: string(out.Limit), CompileStderr: out.Stderr}
	if !out.Success {
		resp.Status = StatusCompileError
		if st, ok := limitStatus(string(out.Limit)); ok {
			resp.Status = st
		}
		return resp, judge(&resp, prep, compiled)
	}
	if prep.CompileOnly {
		resp.Status = StatusOK
		return resp, judge(&resp, prep, compiled)
	}

	res, err := s.engine.Run(ctx, wasmrt.Job{
		Module:           out.Module,
		Seed:             runtimeSeed(seed),
		Stdin:            prep.Stdin,
		Connections:      prep.Connections,
		ResponseComplete: prep.ResponseComplete,
	})
	if err != nil {
		return Response{}, fmt.Errorf("run: %w", err)
	}
	resp.Run = runReport(res)
	resp.Run.Stderr = prep.PanicsInStub(resp.Run.Stderr)
	resp.Status = runStatus(res)
	interpret := h.Interpret
	if prep.Interpret != nil {
		interpret = prep.Interpret
	}
	if interpret != nil {
		if resp.Run.Result, err = interpret(res.Stdout, res.Responses); err != nil {
			return Response{}, fmt.Errorf("interpret %s: %w", h.ID, err)
		}
	}
	ran := compiled
	ran.Ran, ran.ExitCode, ran.Trap, ran.RunLimit = true, res.ExitCode, res.Trap, string(res.Limit)
	return resp, judge(&resp, prep, ran)
}

// judge puts the harness's verdict on the request in resp, if it gives
// one.
func judge(resp *Response, prep harnesses.Prepared, o harnesses.Outcome) error {
	if prep.Verdict == nil {
		return nil
	}
	v, err := prep.Verdict(o)
	if err != nil {
		return fmt.Errorf("verdict of %s: %w", resp.Harness, err)
	}
	resp.Result = v
	return nil
}

func limitStatus(limit string) (Status, bool) {
	switch limit {
	case "timeout":
		return StatusTimeout, true
	case "memory_limit":
		return StatusMemoryLimit, true
	case "output_limit":
		return StatusOutputLimit, true
	}
	return "", false
}

func runStatus(r wasmrt.Result) Status {
	if st, ok := limitStatus(string(r.Limit)); ok {
		return st
	}
	if r.Trap != "" || r.ExitCode == nil || *r.ExitCode != 0 {
		return StatusRuntimeError
	}
	return StatusOK
}

func compileReport(out compiler.Output, prep harnesses.Prepared) *CompileReport {
	rep := &CompileReport{
		Success:     out.Success,
		ExitCode:    out.ExitCode,
		Stderr:      prep.RenderedInStub(out.Stderr),
		Diagnostics: []Diagnostic{},
		DurationMS:  out.Duration.Milliseconds(),
		ModuleBytes: len(out.Module),
		Usage: Usage{
			WallMS:          out.Usage.Wall.Milliseconds(),
			CPUMS:           out.Usage.CPU.Milliseconds(),
			PeakMemoryBytes: out.Usage.PeakMemoryBytes,
			Limit:           string(out.Limit),
		},
	}
	for _, d := range out.Diagnostics {
		item := Diagnostic{Level: d.Level, Message: d.Message}
		// Positions outside the stub (in the harness's own code) are
		// reported without a position rather than with a wrong one.
		item.Line, item.Column = prep.StubPosition(d.Line, d.Column)
		rep.Diagnostics = append(rep.Diagnostics, item)
	}
	return rep
}

func runReport(r wasmrt.Result) *RunReport {
	return &RunReport{
		ExitCode:        r.ExitCode,
		Trap:            r.Trap,
		Stdout:          string(r.Stdout),
		Stderr:          string(r.Stderr),
		StdoutTruncated: r.StdoutTruncated,
		StderrTruncated: r.StderrTruncated,
		DurationMS:      r.Duration.Milliseconds(),
		Usage: Usage{
			WallMS:          r.Duration.Milliseconds(),
			CPUMS:           r.CPU.Milliseconds(),
			PeakMemoryBytes: r.PeakMemoryBytes,
			Limit:           string(r.Limit),
		},
	}
}

// seedOf is the request's seed, or one derived from its content so the
// same request always draws the same random bytes.
func seedOf(req Request) uint64 {
	if req.Seed != nil {
		return *req.Seed
	}
	h := sha256.New()
	// Execute has normalized the stub and canonicalized the args.
	for _, part := range []string{"rocket-sandbox seed v1", req.Harness, req.Stub, string(req.Args)} {
		fmt.Fprintf(h, "%d:%s", len(part), part)
	}
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// runtimeSeed expands the 64-bit request seed to the engine's 256 bits.
func runtimeSeed(seed uint64) [32]byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	return sha256.Sum256(b[:])
}
