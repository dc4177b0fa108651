package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/sys"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// DefaultArgv0 is the program name a guest sees when Job.Args gives none.
const DefaultArgv0 = "main"

// Job is one run of a guest module.
type Job struct {
	// Module is the wasm32-wasip1 command module (it exports _start).
	// It may be nil when ModuleKey names a module the Engine holds
	// (Engine.Holds); Run returns ErrNoModule if it does not.
	Module []byte
	// ModuleKey, if set, is the module's identity: the same key always
	// names the same bytes (the service uses its compile key). The Engine
	// then keys its compiled modules by it and never reads or hashes the
	// bytes of a module it holds; without it, the bytes are hashed once
	// per run.
	ModuleKey string
	// Seed seeds the guest's random source (random_get): the same seed
	// gives the same bytes.
	Seed [32]byte
	// Stdin is all the guest will read from standard input.
	Stdin []byte
	// Args is the guest's argv. Empty means {DefaultArgv0}; an empty
	// Args[0] is replaced by DefaultArgv0.
	Args []string
	// Limits lowers the Engine's limits for this job.
	Limits Limits
	// Connections queues virtual-socket connections; each element is the
	// bytes the peer sends on it. See VsockModule.
	Connections [][]byte
	// Env is the guest's environment ("KEY=value" each); empty means none.
	Env []string
	// Files, if set, is the project's file tree the guest sees (see
	// Files); without it the guest has no file system at all.
	Files *Files
	// TrackResponse, if set, makes a ResponseTracker for each accepted
	// connection, which decides when the connection's response is whole,
	// so that recv reports EOF rather than "would block" once the request
	// is delivered. Trackers run on the guest's goroutine, inside the
	// run's time, and must not block: the run's timeout cannot interrupt
	// host code. A panic in one fails the run with an error.
	TrackResponse func() ResponseTracker
}

// ResponseTracker follows one connection's response as the guest sends
// it. Each byte is given to Sent once, in order, so the work on a
// response is linear in its size however the guest splits it.
type ResponseTracker interface {
	// Sent takes the next bytes of the response and reports whether the
	// response is now whole. Once it has said so it is not called again.
	Sent(p []byte) (complete bool)
}

// Result is what a guest did: how it ended and what it wrote (the
// embedded outcome.Run), and what it used. For a given Engine
// configuration and Job, every field but Duration and CPU is the same on
// every run.
type Result struct {
	outcome.Run

	StdoutTruncated bool
	StderrTruncated bool
	// ResponsesTruncated is set when the responses together went past the
	// stdout cap; RecordsTruncated when the records did (they have a
	// budget of the same size of their own).
	ResponsesTruncated bool
	RecordsTruncated   bool

	// Duration is the wall time from instantiation to exit.
	Duration time.Duration
	// CPU is the CPU time of the thread that ran the guest; where that
	// cannot be read (off Linux) it equals Duration.
	CPU time.Duration
	// PeakMemoryBytes is the guest's linear memory size at the end, which
	// is its peak: wasm memory never shrinks.
	PeakMemoryBytes int64
}

// callerError is the cause a run is stopped with when Run's own ctx ends.
type callerError struct{ err error }

func (e *callerError) Error() string { return "runtime: caller canceled the run: " + e.err.Error() }
func (e *callerError) Unwrap() error { return e.err }

// Run executes job on a fresh instance of its module and reports what the
// guest did. Everything the guest does, including trapping and hitting a
// limit, is a Result; so is a module that cannot be instantiated because
// of what it declares (imports the sandbox does not provide: a Result
// whose Trap names them), since a stub decides that. The error is for the
// rest: bytes that are not a runnable module (ErrInvalidModule), a closed
// Engine (ErrClosed), ctx ending before the guest did (the error wraps
// ctx's cause), and failures of the host's own code.
func (e *Engine) Run(ctx context.Context, job Job) (Result, error) {
	if err := e.enter(); err != nil {
		return Result{}, err
	}
	defer e.runs.Done()
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("runtime: run not started: %w", context.Cause(ctx))
	}
	lim := e.cfg.clamp(job.Limits)

	if job.Module == nil && job.ModuleKey == "" {
		return Result{}, fmt.Errorf("%w: no module bytes and no module key", ErrInvalidModule)
	}
	key := moduleKeyOf(job)
	b, startCompile := e.backendFor(key, job.Module)
	defer startCompile()
	compiled, release, err := b.modules.acquire(ctx, key, job.Module)
	if err != nil {
		if errors.Is(err, ErrNoModule) {
			return Result{}, err
		}
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("runtime: waiting for compilation: %w", err)
		}
		return Result{}, fmt.Errorf("%w: %w", ErrInvalidModule, err)
	}
	defer release()

	if _, ok := compiled.ExportedFunctions()["_start"]; !ok {
		return Result{}, fmt.Errorf("%w: no _start export (not a WASI command module)", ErrInvalidModule)
	}
	if declaredMemoryBytes(compiled) > lim.MemoryLimitBytes {
		return emptyResult(job, outcome.LimitMemory), nil
	}
	if why := unlinkable(b.rt, compiled); why != "" {
		res := emptyResult(job, outcome.LimitNone)
		res.Trap = why
		return res, nil
	}
	return e.execute(ctx, b, compiled, job, lim)
}

// execute instantiates compiled afresh, calls _start and classifies the end.
func (e *Engine) execute(ctx context.Context, b *backend, compiled wazero.CompiledModule, job Job, lim Limits) (Result, error) {
	// The guest's context derives from Background, not ctx: wazero reads
	// configuration from context values (socket listeners, memory
	// allocators, function listeners), and only this package may configure
	// a guest. ctx still stops the run, through stop.
	base, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	unwatch := context.AfterFunc(ctx, func() { stop(&callerError{context.Cause(ctx)}) })
	defer unwatch()
	runCtx := base

	overflow := func() { stop(errOutputLimit) }
	stdout := newCappedBuffer(lim.StdoutLimitBytes, overflow)
	stderr := newCappedBuffer(lim.StderrLimitBytes, overflow)
	mem := newCappedMemory(lim.MemoryLimitBytes)
	defer mem.Free()
	vs := newVsockState(job.Connections, lim.StdoutLimitBytes, job.TrackResponse, stop)
	recs := newRecordState(lim.StdoutLimitBytes, stop)
	clock := newVirtualClock()
	runCtx = experimental.WithMemoryAllocator(runCtx, mem)
	runCtx = withRunState(runCtx, vs)
	runCtx = withRunState(runCtx, recs)

	// The guest's environment is Job.Env only, and its file system
	// Job.Files only (none without it): nothing of the host's. Every
	// clock and the random source are set explicitly rather than left
	// to wazero's defaults.
	mc := wazero.NewModuleConfig().
		WithName(""). // anonymous, so concurrent instances never clash
		WithStartFunctions().
		WithArgs(argv(job.Args)...).
		WithStdin(bytes.NewReader(job.Stdin)).
		WithStdout(stdout).
		WithStderr(stderr).
		WithWalltime(frozenWalltime, clockResolution).
		WithNanotime(clock.nanotime, clockResolution).
		WithNanosleep(clock.nanosleep).
		WithOsyield(osyield).
		WithRandSource(rand.NewChaCha8(job.Seed))
	for _, kv := range job.Env {
		k, v, _ := strings.Cut(kv, "=")
		mc = mc.WithEnv(k, v)
	}
	if job.Files != nil {
		// One tree at two places: "/" (relative paths resolve against it)
		// and the virtual root (absolute paths compiled in, relative!()).
		tree := newMemFS(job.Files)
		fsc := wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(tree, "/")
		if job.Files.Root != "" && job.Files.Root != "/" {
			fsc = fsc.(sysfs.FSConfig).WithSysFSMount(tree, job.Files.Root)
		}
		mc = mc.WithFSConfig(fsc)
	}

	// The guest runs on this goroutine; pinning it to its thread makes the
	// thread's CPU time the run's.
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	cpuStart, cpuOK := threadCPU()
	start := time.Now()
	// The deadline starts with the run's clock, so a run stopped by it
	// took at least the timeout.
	runCtx, cancelTimeout := context.WithTimeoutCause(runCtx, lim.Timeout, errTimeout)
	defer cancelTimeout()

	var callErr error
	memoryTooSmall := false
	mod, instErr := b.rt.InstantiateModule(runCtx, compiled, mc)
	if instErr == nil {
		// The declared minimum was checked before, but a module's memory
		// need not be visible in its definitions; this is the backstop.
		if mem.sizeBytes() > lim.MemoryLimitBytes {
			memoryTooSmall = true
		} else {
			_, callErr = mod.ExportedFunction("_start").Call(runCtx)
		}
		// Its closing error would only repeat how the guest ended.
		_ = mod.Close(context.Background())
	}

	res := Result{
		Run: outcome.Run{Stdout: stdout.bytes(), Stderr: stderr.bytes(), Responses: vs.results(),
			Records: recs.records, RecordsForged: recs.forged},
		StdoutTruncated:    stdout.truncated,
		StderrTruncated:    stderr.truncated,
		ResponsesTruncated: vs.truncated,
		RecordsTruncated:   recs.truncated,
		Duration:           time.Since(start),
		PeakMemoryBytes:    mem.sizeBytes(),
	}
	res.CPU = res.Duration
	if cpuEnd, ok := threadCPU(); cpuOK && ok {
		res.CPU = cpuEnd - cpuStart
	}

	if vs.hostErr != nil {
		return Result{}, vs.hostErr
	}
	// Instantiation runs guest code only in a wasm start section, so being
	// stopped is one guest outcome of it; the imports were checked before
	// (unlinkable), and what else can fail here (a data or element
	// segment out of bounds, a trap in a start function) is also decided
	// by the module's content, that is by the stub: the program's result.
	var instExit *sys.ExitError
	if instErr != nil && !(errors.As(instErr, &instExit) && stoppedByHost(instExit, runCtx)) {
		res.Trap = "the program cannot start: " + instErr.Error()
		return res, nil
	}
	if memoryTooSmall {
		res.Limit = outcome.LimitMemory
		return res, nil
	}
	if err := classify(&res, firstErr(instErr, callErr), runCtx, mem.hitCap()); err != nil {
		return Result{}, err
	}
	return res, nil
}

// classify sets res's exit code, trap and limit from how the guest's call
// ended, and from what the host saw: hitCap, a growth of the guest's
// memory refused at its cap. It returns an error only when the run was
// stopped by its caller.
//
// A failure does not say why it happened: when memory.grow fails, Rust's
// allocator returns null and its alloc error hook prints "memory
// allocation of N bytes failed" and aborts, which on wasm is an
// `unreachable` trap like any other abort; Go's runtime prints "out of
// memory" and exits 2. Those words are the guest's to write, so they
// decide nothing: a run that failed after its memory was refused growth
// at the cap hit the memory limit, and a guest that prints the message
// without ever reaching the cap failed as the plain trap or exit it is.
func classify(res *Result, callErr error, runCtx context.Context, hitCap bool) error {
	var exitErr *sys.ExitError
	switch {
	case callErr == nil:
		res.ExitCode = new(int32(0))
	case errors.As(callErr, &exitErr) && stoppedByHost(exitErr, runCtx):
		cause := context.Cause(runCtx)
		switch {
		case errors.Is(cause, errOutputLimit):
			res.Limit = outcome.LimitOutput
		case errors.Is(cause, errTimeout):
			res.Limit = outcome.LimitTime
		default:
			return fmt.Errorf("runtime: run stopped: %w", cause)
		}
	case exitErr != nil:
		res.ExitCode = new(int32(exitErr.ExitCode()))
		if exitErr.ExitCode() != 0 && hitCap {
			res.Limit = outcome.LimitMemory
		}
	default:
		res.Trap = callErr.Error()
		if hitCap {
			res.Limit = outcome.LimitMemory
		}
	}
	// Output past a cap stops the run, but a guest may exit on its own
	// before it notices; the limit was hit all the same.
	if res.Limit == outcome.LimitNone && (res.StdoutTruncated || res.StderrTruncated || res.ResponsesTruncated || res.RecordsTruncated) {
		res.Limit = outcome.LimitOutput
	}
	return nil
}

// stoppedByHost tells wazero's exit for a canceled context apart from a
// guest that exited with the same reserved code by itself.
func stoppedByHost(exitErr *sys.ExitError, runCtx context.Context) bool {
	code := exitErr.ExitCode()
	return runCtx.Err() != nil && (code == sys.ExitCodeContextCanceled || code == sys.ExitCodeDeadlineExceeded)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// argv applies the Args defaults.
func argv(args []string) []string {
	if len(args) == 0 {
		return []string{DefaultArgv0}
	}
	if args[0] == "" {
		args = append([]string{DefaultArgv0}, args[1:]...)
	}
	return args
}

// emptyResult is the Result of a job stopped by limit before its guest ran.
func emptyResult(job Job, limit outcome.Limit) Result {
	return Result{Run: outcome.Run{
		Limit:     limit,
		Stdout:    []byte{},
		Stderr:    []byte{},
		Responses: newVsockState(job.Connections, 0, nil, nil).results(),
	}}
}

// declaredMemoryBytes is the initial size of the module's memory, as far as
// its definitions show it (imported or exported memory; Rust's and Go's
// are exported).
func declaredMemoryBytes(compiled wazero.CompiledModule) int64 {
	var pages uint32
	for _, m := range compiled.ImportedMemories() {
		pages = max(pages, m.Min())
	}
	for _, m := range compiled.ExportedMemories() {
		pages = max(pages, m.Min())
	}
	return int64(pages) * wasmPageSize
}
