package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// Store is a content-addressed store; *cache.Store implements it.
type Store interface {
	// Get's bytes are the caller's own copy: a memo hit splices its
	// cache report into them (answerInPlace).
	Get(key string) ([]byte, cache.Tier)
	Put(key string, value []byte) error
}

// CacheReport says where a response's parts came from.
type CacheReport struct {
	// Result: "memory" or "disk" when the whole response was memoized,
	// else "miss".
	Result cache.Tier `json:"result"`
	// Module: where the compiled module (or the compile error) came from,
	// when the pipeline ran.
	Module cache.Tier `json:"module,omitempty"`
}

func digestOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// resultKey names a response: the normalized request and the fingerprint.
func (s *Service) resultKey(req Request) string {
	seed := "derived"
	if req.Seed != nil {
		seed = fmt.Sprint(*req.Seed)
	}
	// The limits it runs under, resolved (idempotent: Execute resolved
	// them already, and refused bad ones).
	lim, _ := effective(req.Limits, s.defaultLimits, s.maxLimits)
	parts := []string{"result v1", s.fingerprint, req.Harness, req.Stub, string(req.Args), seed, lim.key()}
	if len(req.Files) > 0 {
		// The whole file set, in one order (a request without files keeps
		// the key it always had).
		// The scratch cap decides what its writes do.
		parts = append(append(parts, "files", fmt.Sprint(s.cfg.ScratchBytes)), canonicalFiles(req.Files)...)
	}
	return digestOf(parts...)
}

// memoizable says whether a status is a property of the request alone.
// A timeout is not: it depends on the machine's load at the time (a
// program that needs about the deadline may finish on a quiet machine),
// and neither are the machinery's failures. Everything else is decided by
// the program, a limit on bytes, or the compiler, and repeats exactly.
func memoizable(st outcome.Status) bool {
	switch st {
	case outcome.StatusOK, outcome.StatusCompileError, outcome.StatusRuntimeError, outcome.StatusMemoryLimit, outcome.StatusOutputLimit:
		return true
	}
	return false
}

// memoGetEncoded answers from the memo in wire form.
func (s *Service) memoGetEncoded(key string) (Encoded, bool) {
	if s.results == nil {
		return Encoded{}, false
	}
	b, tier := s.results.Get(key)
	if tier == cache.Miss {
		return Encoded{}, false
	}
	// A value from another version or damaged: recompute. b is this
	// lookup's own copy.
	return answerInPlace(b, tier)
}

// memoGet answers from the memo, decoded.
func (s *Service) memoGet(key string) (Response, bool) {
	enc, ok := s.memoGetEncoded(key)
	if !ok {
		return Response{}, false
	}
	return decodeEncoded(enc)
}

// decodeMemo reads a memoized response (storeForm) found in tier.
func decodeMemo(b []byte, tier cache.Tier) (Response, bool) {
	enc, ok := answerForm(b, tier)
	if !ok {
		return Response{}, false // a value from another version: recompute
	}
	return decodeEncoded(enc)
}

func decodeEncoded(enc Encoded) (Response, bool) {
	var resp Response
	if err := json.Unmarshal(enc.Body, &resp); err != nil {
		return Response{}, false
	}
	return resp, true
}

// memoPut stores resp under key if it is memoizable, and returns the
// bytes stored (nil: none), for the shared tier.
func (s *Service) memoPut(key string, resp Response) []byte {
	if s.results == nil || !memoizable(resp.Status) || resp.volatile {
		return nil
	}
	b, err := storeForm(resp)
	if err != nil {
		return nil
	}
	_ = s.results.Put(key, b) // a cache that cannot store is only slower
	return b
}

// storedCompile is a compile's outcome as the module store keeps it.
// The module's bytes are an entry of their own (moduleBytesKey): a run of
// a module the engine holds compiled reads only this small record.
type storedCompile struct {
	Success     bool
	ExitCode    int
	Diagnostics []outcome.Diagnostic
	Stderr      string
	ModuleBytes int
}

// cachedCompile is a compile's outcome as a run needs it: the module is
// named by key (the compile key, wasmrt.Job.ModuleKey), and out.Module
// holds its bytes only when they were read or produced — not when the
// engine holds the module already.
type cachedCompile struct {
	out         compiler.Output
	tier        cache.Tier
	key         string
	moduleBytes int
}

// moduleBytesKey names the entry of a compile's module bytes.
func moduleBytesKey(key string) string { return digestOf("module bytes v2", key) }

// holder is implemented by engines that keep compiled modules by key
// (*runtime.Engine): a run of a module they hold needs no bytes.
type holder interface{ Holds(moduleKey string) bool }

func (s *Service) engineHolds(key string) bool {
	h, ok := s.engine.(holder)
	return ok && h.Holds(key)
}

// compile returns the compile of plan's source, from the module store
// when it has it. Compiles that hit a limit or were killed by a signal
// are not stored: like timeouts, they depend on the moment.
//
// The compile limits are part of the key: a compile that fits a
// request's raised limits must not answer a request whose lower limits
// it would exceed.
func (s *Service) compile(ctx context.Context, in compiler.Input, lim Limits) (cachedCompile, error) {
	if s.modules == nil {
		out, err := s.compiler.Compile(ctx, in)
		return cachedCompile{out: out, tier: cache.Miss, moduleBytes: len(out.Module)}, err
	}
	key := digestOf(append([]string{"module v2", s.fingerprint, in.Edition, string(in.Source), fmt.Sprint(lim.CompileWallTimeMS, "/", lim.CompileMemoryBytes)}, compileKeyParts(in)...)...)
	// Shared like results (flights): the compile runs until its last
	// waiter leaves, not until its first caller does — another request
	// sharing this compile must not inherit that caller's cancellation.
	return s.moduleFlight.do(ctx, key, func(ctx context.Context) (cachedCompile, error) {
		start := time.Now()
		if c, ok := s.storedOutcome(key); ok {
			if !c.out.Success || s.engineHolds(key) {
				c.out.Duration = time.Since(start)
				return c, nil
			}
			if bin, ok := s.storedModule(key, c.moduleBytes); ok {
				c.out.Module, c.out.Duration = bin, time.Since(start)
				return c, nil
			}
			// The bytes are gone (evicted, damaged): compile again.
		}
		// Then the shared tier, if any, which also compiles once across
		// replicas.
		return s.sharedCompile(ctx, in, key)
	})
}

// storedOutcome reads the record of the compile stored under key,
// without its module's bytes.
func (s *Service) storedOutcome(key string) (cachedCompile, bool) {
	b, tier := s.modules.Get(key)
	if tier == cache.Miss {
		return cachedCompile{}, false
	}
	var sc storedCompile
	if gob.NewDecoder(bytes.NewReader(b)).Decode(&sc) != nil {
		return cachedCompile{}, false
	}
	return cachedCompile{out: compiler.Output{
		Compile:  outcome.Compile{Success: sc.Success, Diagnostics: sc.Diagnostics, Stderr: sc.Stderr},
		ExitCode: sc.ExitCode}, tier: tier, key: key, moduleBytes: sc.ModuleBytes}, true
}

// storedModule reads a module's bytes from the store.
func (s *Service) storedModule(key string, size int) ([]byte, bool) {
	bin, tier := s.modules.Get(moduleBytesKey(key))
	return bin, tier != cache.Miss && len(bin) == size
}

// compileAndStore compiles in and stores the outcome under key: the
// module's bytes first, so a stored record always finds them.
func (s *Service) compileAndStore(ctx context.Context, in compiler.Input, key string) (cachedCompile, error) {
	out, err := s.compiler.Compile(ctx, in)
	if err != nil {
		return cachedCompile{}, err
	}
	if out.Limit == outcome.LimitNone && !out.Signaled {
		var b bytes.Buffer
		sc := storedCompile{Success: out.Success, ExitCode: out.ExitCode, Diagnostics: out.Diagnostics, Stderr: out.Stderr, ModuleBytes: len(out.Module)}
		// A failed compile, and a lint, have no module.
		stored := len(out.Module) == 0 || s.modules.Put(moduleBytesKey(key), out.Module) == nil
		if stored && gob.NewEncoder(&b).Encode(sc) == nil {
			_ = s.modules.Put(key, b.Bytes())
		}
	}
	return cachedCompile{out: out, tier: cache.Miss, key: key, moduleBytes: len(out.Module)}, nil
}

// run runs job, whose module c names. A module the engine held when the
// compile was looked up may be evicted before the run starts: its bytes
// are then read from the store, or compiled again.
func (s *Service) run(ctx context.Context, c cachedCompile, in compiler.Input, job wasmrt.Job) (wasmrt.Result, error) {
	job.ModuleKey, job.Module = c.key, c.out.Module
	res, err := s.engine.Run(ctx, job)
	if !errors.Is(err, wasmrt.ErrNoModule) || c.key == "" {
		return res, err
	}
	bin, ok := s.storedModule(c.key, c.moduleBytes)
	if !ok {
		again, err := s.compileAndStore(ctx, in, c.key)
		if err != nil {
			return wasmrt.Result{}, err
		}
		if !again.out.Success {
			return wasmrt.Result{}, fmt.Errorf("module %s compiled before no longer compiles", c.key)
		}
		bin = again.out.Module
	}
	job.Module = bin
	return s.engine.Run(ctx, job)
}
