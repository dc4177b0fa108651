package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// Store is a content-addressed store; *cache.Store implements it.
type Store interface {
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
	return digestOf("result v1", s.fingerprint, req.Harness, req.Stub, string(req.Args), seed)
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

func (s *Service) memoGet(key string) (Response, bool) {
	if s.results == nil {
		return Response{}, false
	}
	b, tier := s.results.Get(key)
	if tier == cache.Miss {
		return Response{}, false
	}
	return decodeMemo(b, tier)
}

// decodeMemo reads a memoized response found in tier.
func decodeMemo(b []byte, tier cache.Tier) (Response, bool) {
	var resp Response
	if err := json.Unmarshal(b, &resp); err != nil {
		return Response{}, false // a value from another version: recompute
	}
	resp.Cache = &CacheReport{Result: tier}
	return resp, true
}

// memoPut stores resp under key if it is memoizable, and returns the
// bytes stored (nil: none), for the shared tier.
func (s *Service) memoPut(key string, resp Response) []byte {
	if s.results == nil || !memoizable(resp.Status) || resp.volatile {
		return nil
	}
	resp.Cache = nil
	b, err := json.Marshal(resp)
	if err != nil {
		return nil
	}
	_ = s.results.Put(key, b) // a cache that cannot store is only slower
	return b
}

// storedCompile is a compile's outcome as the module store keeps it.
type storedCompile struct {
	Success     bool
	Module      []byte
	ExitCode    int
	Diagnostics []outcome.Diagnostic
	Stderr      string
}

// compile returns the compile of plan's source, from the module store
// when it has it. Compiles that hit a limit or were killed by a signal
// are not stored: like timeouts, they depend on the moment.
func (s *Service) compile(ctx context.Context, plan harnesses.Plan) (compiler.Output, cache.Tier, error) {
	in := compiler.Input{Source: plan.Source, Edition: plan.Edition, Limits: s.cfg.CompileLimits}
	if s.modules == nil {
		out, err := s.compiler.Compile(ctx, in)
		return out, cache.Miss, err
	}
	key := digestOf("module v1", s.fingerprint, plan.Edition, string(plan.Source))
	// Shared like results (flights): the compile runs until its last
	// waiter leaves, not until its first caller does — another request
	// sharing this compile must not inherit that caller's cancellation.
	c, err := s.moduleFlight.do(ctx, key, func(ctx context.Context) (cachedCompile, error) {
		start := time.Now()
		if b, tier := s.modules.Get(key); tier != cache.Miss {
			if out, ok := decodeCompile(b, start); ok {
				return cachedCompile{out: out, tier: tier}, nil
			}
		}
		return s.sharedCompile(ctx, key, func(ctx context.Context) (cachedCompile, []byte, error) {
			out, err := s.compiler.Compile(ctx, in)
			if err != nil {
				return cachedCompile{}, nil, err
			}
			var stored []byte
			if out.Limit == outcome.LimitNone && !out.Signaled {
				if b, ok := encodeCompile(out); ok {
					_ = s.modules.Put(key, b) // a cache that cannot store is only slower
					stored = b
				}
			}
			return cachedCompile{out: out, tier: cache.Miss}, stored, nil
		})
	})
	if err != nil {
		return compiler.Output{}, cache.Miss, err
	}
	return c.out, c.tier, nil
}

// encodeCompile is the stored form of a compile.
func encodeCompile(out compiler.Output) ([]byte, bool) {
	var b bytes.Buffer
	sc := storedCompile{Success: out.Success, Module: out.Module, ExitCode: out.ExitCode, Diagnostics: out.Diagnostics, Stderr: out.Stderr}
	if gob.NewEncoder(&b).Encode(sc) != nil {
		return nil, false
	}
	return b.Bytes(), true
}

// decodeCompile reads a stored compile; start is when the lookup began.
func decodeCompile(b []byte, start time.Time) (compiler.Output, bool) {
	var sc storedCompile
	if gob.NewDecoder(bytes.NewReader(b)).Decode(&sc) != nil {
		return compiler.Output{}, false
	}
	return compiler.Output{
		Compile: outcome.Compile{Success: sc.Success, Diagnostics: sc.Diagnostics, Stderr: sc.Stderr},
		Module:  sc.Module, ExitCode: sc.ExitCode, Duration: time.Since(start)}, true
}

type cachedCompile struct {
	out  compiler.Output
	tier cache.Tier
}
