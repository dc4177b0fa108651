package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/budget"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/project"
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

// Service executes requests: validate, have the harness plan, compile,
// run, have the harness report.
type Service struct {
	cfg       Config
	harnesses *harnesses.Registry
	compiler  Compiler
	engine    Engine
	// Admission: the slots of compile + run, the preparations before
	// them, and the bytes of the requests waiting for either.
	gate    *gate
	prepare *preparations
	queued  *budget.Bytes // of requests waiting for a preparation or a slot

	// Optional caches and the single-flight groups in front of the
	// pipeline and of the compiler.
	results     Store
	modules     Store
	fingerprint string
	shares      Store
	formatter   Formatter
	shared      Shared
	profile     project.Profile
	// The limits a request gets without asking, and the most it may ask.
	defaultLimits, maxLimits Limits
	flight                   flights[Response]
	moduleFlight             flights[cachedCompile]
	observe                  QueueObserver
}

func queueObserver(o QueueObserver) QueueObserver {
	if o == nil {
		return noObserver{}
	}
	return o
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
	// Shares keeps shared playground states (Share); nil: Share and
	// Shared fail as the machinery's error.
	Shares Store
	// Formatter formats stubs (Format); nil: Format fails as the
	// machinery's error.
	Formatter Formatter
	// Queue hears how jobs wait for a slot (metrics); nil hears nothing.
	Queue QueueObserver
	// Limits are the defaults a request's limits start from (the
	// engine's and the compile's as configured); a zero field is the
	// built-in default (DefaultLimits). The engine and the jail must
	// allow Config.MaxRequestLimits.
	Limits Limits
	// Shared, when set, is the tier replicas share, below Results and
	// Modules (both required with it).
	Shared Shared
	// Profile is what a project's Cargo.toml may ask for (the prepared
	// dependency profile); nil offers nothing.
	Profile project.Profile
}

// QueueObserver is told how jobs wait for a compile-and-run slot.
// Compiles and runs are observed at their own seams (Compiler, Engine).
type QueueObserver interface {
	// Waiting: a job starts (+1) or stops (-1) waiting for a slot.
	Waiting(delta int)
	// Admitted: a job got its slot after waiting wait (0 when one was free).
	Admitted(wait time.Duration)
}

type noObserver struct{}

func (noObserver) Waiting(int)            {}
func (noObserver) Admitted(time.Duration) {}

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
	if d.Shared != nil && (d.Results == nil || d.Modules == nil) {
		return nil, errors.New("service: a shared tier sits below the results and modules stores: both are required")
	}
	def := d.Limits.or(DefaultLimits())
	max := cfg.MaxRequestLimits.or(def)
	mf, df := max.Fields(), def.Fields()
	for i := range mf {
		if *mf[i].Value < *df[i].Value {
			return nil, fmt.Errorf("service: max_request_limits.%s (%d) is less than its default (%d)", mf[i].Key, *mf[i].Value, *df[i].Value)
		}
	}
	return &Service{cfg: cfg, defaultLimits: def, maxLimits: max, harnesses: d.Harnesses, compiler: d.Compiler, engine: d.Engine,
		gate:    newGate(cfg.MaxConcurrent, cfg.MaxQueue, cfg.QueueWait(), cfg.JobEstimate(), nil),
		prepare: newPreparations(cfg.MaxPreparing, cfg.QueueWait()),
		queued:  budget.New(cfg.MaxQueuedBytes),
		results: d.Results, modules: d.Modules, fingerprint: d.Fingerprint, shared: d.Shared, profile: d.Profile,
		shares: d.Shares, formatter: d.Formatter, observe: queueObserver(d.Queue)}, nil
}

// Harnesses describes every harness.
func (s *Service) Harnesses() []HarnessInfo { return HarnessInfos(s.harnesses) }

// HarnessInfos describes every harness of reg, as a service over it
// would: the API contract is built from it without a service.
func HarnessInfos(reg *harnesses.Registry) []HarnessInfo {
	var out []HarnessInfo
	for _, h := range reg.All() {
		out = append(out, HarnessInfo{ID: h.ID, Description: h.Description, ArgsSchema: h.ArgsSchema, Example: h.Example})
	}
	return out
}

// validate checks req (Request.Validate) and finds its harness.
func (s *Service) validate(req Request) (*harnesses.Harness, error) {
	if err := req.Validate(s.cfg.MaxStubBytes); err != nil {
		return nil, err
	}
	h, ok := s.harnesses.Get(req.Harness)
	if !ok {
		return nil, Errorf(CodeNotFound, "harness", "unknown harness %q (one of: %s)", req.Harness, s.harnesses.IDs())
	}
	return h, nil
}

// Execute runs one request: the harness plans it, the plan is compiled
// and run, the harness reports what happened. A refused request comes
// back as an *Error; a program that fails to compile or crashes is a
// normal Response.
//
// Only validation comes before the memo: the result key is the
// normalized request, so a resent request is answered without being
// prepared again. Everything after a miss runs once per key for all the
// identical requests in flight (single flight) and holds the request's
// bytes in the queued budget until it has a slot.
func (s *Service) Execute(ctx context.Context, req Request) (Response, error) {
	return s.ExecuteObserved(ctx, req, nil)
}

// ExecuteObserved is Execute, telling obs (if not nil) of the request's
// progress as it happens: queued (with its position), compiling,
// compiled (with the diagnostics), running. A memoized answer has no
// progress; a caller that joins an identical request in flight is first
// told where that request is.
func (s *Service) ExecuteObserved(ctx context.Context, req Request, obs Observer) (Response, error) {
	h, req, proj, key, err := s.keyOf(req)
	if err != nil {
		return Response{}, err
	}
	if resp, ok := s.memoGet(key); ok {
		return resp, nil
	}
	return s.compute(ctx, h, req, proj, key, obs)
}

// ExecuteEncoded is Execute with the response in its wire form
// (EncodeResponse). A memoized response is answered as the bytes stored,
// neither decoded nor encoded again.
func (s *Service) ExecuteEncoded(ctx context.Context, req Request) (Encoded, error) {
	return s.ExecuteEncodedObserved(ctx, req, nil)
}

// ExecuteEncodedObserved is ExecuteEncoded, telling obs (if not nil) of
// the request's progress (ExecuteObserved): the streaming route's result
// is execute's body, byte for byte.
func (s *Service) ExecuteEncodedObserved(ctx context.Context, req Request, obs Observer) (Encoded, error) {
	h, req, proj, key, err := s.keyOf(req)
	if err != nil {
		return Encoded{}, err
	}
	if enc, ok := s.memoGetEncoded(key); ok {
		enc.Key = key
		return enc, nil
	}
	resp, err := s.compute(ctx, h, req, proj, key, obs)
	if err != nil {
		return Encoded{}, err
	}
	enc, err := EncodeAnswer(resp)
	if err == nil && s.results != nil && memoizable(resp.Status) && !resp.volatile {
		enc.Key = key
	}
	return enc, err
}

// Recall answers from the memo by a result key an earlier
// ExecuteEncoded named (Encoded.Key): the bytes ExecuteEncoded would
// answer that request with now, if the memo holds them. The server's
// recall index uses it to skip reading a request it has seen byte for
// byte (server/recall.go).
func (s *Service) Recall(key string) (Encoded, bool) {
	enc, ok := s.memoGetEncoded(key)
	if ok {
		enc.Key = key
	}
	return enc, ok
}

// keyOf validates req (its files too: the project), settles its limits,
// normalizes it and names its result.
func (s *Service) keyOf(req Request) (*harnesses.Harness, Request, *projectOf, string, error) {
	h, err := s.validate(req)
	if err != nil {
		return nil, req, nil, "", err
	}
	if req.Limits, err = effective(req.Limits, s.defaultLimits, s.maxLimits); err != nil {
		return nil, req, nil, "", err
	}
	if req.Stub != "" {
		req.Stub = normalizeStub(req.Stub)
	}
	proj, err := s.checkProject(req, h)
	if err != nil {
		return nil, req, nil, "", err
	}
	if req.Args, err = canonicalArgs(req.Args); err != nil {
		return nil, req, nil, "", fmt.Errorf("canonical args (validated as JSON): %w", err)
	}
	return h, req, proj, s.resultKey(req), nil
}

// compute answers a request the memo did not have.
func (s *Service) compute(ctx context.Context, h *harnesses.Harness, req Request, proj *projectOf, key string, obs Observer) (Response, error) {
	// The shared call runs on a context of its own, canceled only when
	// every request waiting for it has gone (flights).
	return s.flight.watch(ctx, key, obs, func(ctx context.Context, report Observer) (Response, error) {
		// A call for the same key may have finished since the lookup.
		if resp, ok := s.memoGet(key); ok {
			return resp, nil
		}
		// Then the shared tier, if any, which also runs the work once
		// across replicas.
		return s.executeShared(ctx, key, func(ctx context.Context) (Response, error) {
			return s.execute(ctx, h, req, proj, report)
		})
	})
}

// queuedBytes is what a request holds while it waits: its stub, args
// and files.
func queuedBytes(req Request) int64 {
	n := int64(len(req.Stub) + len(req.Args))
	for path, content := range req.Files {
		n += int64(len(path) + len(content))
	}
	return n
}

// holdQueued counts req's bytes as waiting (for a preparation or a slot)
// until the returned func is called (once; later calls do nothing), or
// refuses req as overloaded when too many bytes wait already.
func (s *Service) holdQueued(req Request) (func(), error) {
	n := queuedBytes(req)
	if !s.queued.Take(n) {
		return nil, overloaded("too many bytes of requests are waiting", s.gate.estimate()/time.Duration(s.cfg.MaxConcurrent))
	}
	var once sync.Once
	return func() { once.Do(func() { s.queued.Give(n) }) }, nil
}

// plan has the harness prepare req, in a preparation slot and under ctx.
func (s *Service) plan(ctx context.Context, h *harnesses.Harness, req Request, proj *projectOf) (harnesses.Plan, error) {
	stub := req.Stub
	if proj != nil {
		stub = proj.source // the crate root
	}
	plan, err := prepareIn(ctx, s.prepare, func() (harnesses.Plan, error) { return h.Plan(stub, req.Args) })
	if err == nil {
		plan.Edition, err = proj.editionFor(plan)
		return plan, err
	}
	var argErr *harnesses.ArgError
	if errors.As(err, &argErr) {
		field := "args"
		if argErr.Field != "" {
			field = "args." + argErr.Field
		}
		return plan, Invalid(field, "%s", argErr.Message)
	}
	if _, coded := AsError(err); coded || ctx.Err() != nil {
		return plan, err
	}
	return plan, fmt.Errorf("plan %s: %w", h.ID, err)
}

// execute prepares the request, carries out its plan inside the
// admission gate, and has the harness report on it: service → harness
// plan → compile → run → harness report. report is told each step.
func (s *Service) execute(ctx context.Context, h *harnesses.Harness, req Request, proj *projectOf, report Observer) (Response, error) {
	stopWaiting, err := s.holdQueued(req)
	if err != nil {
		return Response{}, err
	}
	defer stopWaiting()
	plan, err := s.plan(ctx, h, req, proj)
	if err != nil {
		return Response{}, err
	}

	seed := seedOf(req)
	limits := req.Limits
	resp := Response{Harness: req.Harness, Seed: strconv.FormatUint(seed, 10), Limits: &limits, Cache: &CacheReport{Result: cache.Miss}}
	var (
		out         compiler.Output
		moduleBytes int
		res         wasmrt.Result
		compiled    *outcome.Compile
		ran         *outcome.Run
	)
	// A skipped plan (an example marked ignore) has nothing to compile or
	// run, and so nothing to admit either.
	if plan.Steps != harnesses.Skip {
		queued := time.Now()
		s.observe.Waiting(1)
		leave, err := s.gate.enter(ctx, req.Client, func(position int) {
			report(Progress{Phase: PhaseQueued, Position: position})
		})
		s.observe.Waiting(-1)
		if err != nil {
			return Response{}, err
		}
		s.observe.Admitted(time.Since(queued))
		defer leave()
		stopWaiting()

		report(Progress{Phase: PhaseCompiling})
		in := s.compileInput(req, plan, proj)
		c, err := s.compile(ctx, in, req.Limits)
		if err != nil {
			return Response{}, fmt.Errorf("compile: %w", err)
		}
		out, moduleBytes = c.out, c.moduleBytes
		resp.Cache.Module, resp.volatile = c.tier, out.Signaled
		compiled = &out.Compile
		report(Progress{Phase: PhaseCompiled, Compiled: &CompiledProgress{
			Success: out.Success, Diagnostics: plan.StubDiagnostics(out.Diagnostics)}})

		if out.Success && plan.Steps == harnesses.CompileAndRun {
			report(Progress{Phase: PhaseRunning})
			res, err = s.runPlan(ctx, c, in, plan, runtimeSeed(seed), req.Limits.run(), s.runFiles(req, proj))
			if err != nil {
				return Response{}, fmt.Errorf("run: %w", err)
			}
			ran = &res.Run
		}
	}

	rep, err := plan.Report(compiled, ran)
	if err != nil {
		return Response{}, fmt.Errorf("report of %s: %w", req.Harness, err)
	}
	resp.Status = outcome.Of(compiled, ran)
	resp.Result = rep.Verdict
	if compiled != nil {
		resp.Compile = compileReport(out, moduleBytes, rep)
		resp.Compile.Cached = resp.Cache.Module != cache.Miss
	}
	if ran != nil {
		resp.Run = runReport(res, rep)
	}
	return resp, nil
}

// compileReport is the compile section: what the compiler did, in the
// stub's terms as the harness reported them.
func compileReport(out compiler.Output, moduleBytes int, rep harnesses.Report) *CompileReport {
	return &CompileReport{
		Success:     out.Success,
		ExitCode:    out.ExitCode,
		Stderr:      rep.CompileStderr,
		Diagnostics: rep.Diagnostics,
		DurationMS:  out.Duration.Milliseconds(),
		ModuleBytes: moduleBytes,
		Usage: Usage{
			WallMS:          out.Usage.Wall.Milliseconds(),
			CPUMS:           out.Usage.CPU.Milliseconds(),
			PeakMemoryBytes: out.Usage.PeakMemoryBytes,
			Limit:           out.Limit,
		},
	}
}

// trackResponse hands the harness's response trackers to the engine.
func trackResponse(track func() harnesses.ResponseTracker) func() wasmrt.ResponseTracker {
	if track == nil {
		return nil
	}
	return func() wasmrt.ResponseTracker { return track() }
}

// runReport is the run section: what the guest did, with the harness's
// reading of it. The host's work on the guest's output (the harness
// reading it) is the run's work: it counts in the run's time.
func runReport(r wasmrt.Result, rep harnesses.Report) *RunReport {
	r.Duration += rep.ReadTime
	r.CPU += rep.ReadTime
	return &RunReport{
		ExitCode:        r.ExitCode,
		Trap:            r.Trap,
		Stdout:          string(r.Stdout),
		Stderr:          rep.RunStderr,
		StdoutTruncated: r.StdoutTruncated,
		StderrTruncated: r.StderrTruncated,
		DurationMS:      r.Duration.Milliseconds(),
		Usage: Usage{
			WallMS:          r.Duration.Milliseconds(),
			CPUMS:           r.CPU.Milliseconds(),
			PeakMemoryBytes: r.PeakMemoryBytes,
			Limit:           r.Limit,
		},
		Result: rep.RunResult,
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
	parts := []string{"rocket-sandbox seed v1", req.Harness, req.Stub, string(req.Args)}
	if len(req.Files) > 0 {
		parts = append(append(parts, "files"), canonicalFiles(req.Files)...)
	}
	for _, part := range parts {
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
