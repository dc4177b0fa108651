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
	"github.com/tetratelabs/wazero/sys"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// DefaultArgv0 is the program name a guest sees when Job.Args gives none.
const DefaultArgv0 = "main"

// Job is one run of a guest module.
type Job struct {
	// Module is the wasm32-wasip1 command module (it exports _start).
	Module []byte
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
	// ResponseComplete, if set, decides when a connection's response is
	// whole, so that recv reports EOF rather than "would block" once the
	// request is delivered. It runs on the guest's goroutine, on each
	// change of the response, and must not block: the run's timeout cannot
	// interrupt host code. A panic in it fails the run with an error.
	ResponseComplete func(resp []byte) bool
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
	// stdout cap.
	ResponsesTruncated bool

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
// limit, is a Result. The error is for the rest: a module that cannot be
// run (ErrInvalidModule), a closed Engine (ErrClosed), ctx ending before the
// guest did (the error wraps ctx's cause), and failures of the host's own
// code.
func (e *Engine) Run(ctx context.Context, job Job) (Result, error) {
	if err := e.enter(); err != nil {
		return Result{}, err
	}
	defer e.runs.Done()
	if ctx.Err() != nil {
		return Result{}, fmt.Errorf("runtime: run not started: %w", context.Cause(ctx))
	}
	lim := e.cfg.clamp(job.Limits)

	b := e.backendFor(job.Module)
	compiled, release, err := b.modules.acquire(ctx, job.Module)
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("runtime: waiting for compilation: %w", err)
		}
		if memoryMinOverLimit(err) {
			return emptyResult(job, outcome.LimitMemory), nil
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
	runCtx, cancelTimeout := context.WithTimeoutCause(base, lim.Timeout, errTimeout)
	defer cancelTimeout()

	overflow := func() { stop(errOutputLimit) }
	stdout := newCappedBuffer(lim.StdoutLimitBytes, overflow)
	stderr := newCappedBuffer(lim.StderrLimitBytes, overflow)
	mem := newCappedMemory(lim.MemoryLimitBytes)
	vs := newVsockState(job.Connections, lim.StdoutLimitBytes, job.ResponseComplete, stop)
	clock := newVirtualClock()
	runCtx = experimental.WithMemoryAllocator(runCtx, mem)
	runCtx = withVsock(runCtx, vs)

	// No WithEnv and no WithFS: the guest has an empty environment and no
	// preopened directories. Every clock and the random source are set
	// explicitly rather than left to wazero's defaults.
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

	// The guest runs on this goroutine; pinning it to its thread makes the
	// thread's CPU time the run's.
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	cpuStart, cpuOK := threadCPU()
	start := time.Now()

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
		Run:                outcome.Run{Stdout: stdout.bytes(), Stderr: stderr.bytes(), Responses: vs.results()},
		StdoutTruncated:    stdout.truncated,
		StderrTruncated:    stderr.truncated,
		ResponsesTruncated: vs.truncated,
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
	// Instantiation runs guest code only in a wasm start section, so its
	// only guest outcome is being stopped; anything else means the module
	// cannot be linked here (unknown imports) and is not the guest's result.
	var instExit *sys.ExitError
	if instErr != nil && !(errors.As(instErr, &instExit) && stoppedByHost(instExit, runCtx)) {
		return Result{}, fmt.Errorf("%w: instantiate: %w", ErrInvalidModule, instErr)
	}
	if memoryTooSmall {
		res.Limit = outcome.LimitMemory
		return res, nil
	}
	if err := classify(&res, firstErr(instErr, callErr), runCtx, lim); err != nil {
		return Result{}, err
	}
	return res, nil
}

// classify sets res's exit code, trap and limit from how the guest's call
// ended. It returns an error only when the run was stopped by its caller.
func classify(res *Result, callErr error, runCtx context.Context, lim Limits) error {
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
	default:
		res.Trap = callErr.Error()
		if isMemoryLimitTrap(res.Stderr, res.PeakMemoryBytes, lim.MemoryLimitBytes) {
			res.Limit = outcome.LimitMemory
		}
	}
	// Output past a cap stops the run, but a guest may exit on its own
	// before it notices; the limit was hit all the same.
	if res.Limit == outcome.LimitNone && (res.StdoutTruncated || res.StderrTruncated || res.ResponsesTruncated) {
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

// memoryMinOverLimit recognizes wazero's compile error for a module whose
// initial memory is larger than the runtime's page limit: the guest asked
// for too much memory, which is a result, not an infrastructure failure.
// wazero has no typed error for it, so this matches its message ("min N
// pages (X) over limit of M pages (Y)"); a test pins that wording.
func memoryMinOverLimit(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "min ") && strings.Contains(msg, "pages") && strings.Contains(msg, "over limit of")
}
