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
	var resp Response
	if err := json.Unmarshal(b, &resp); err != nil {
		return Response{}, false // a value from another version: recompute
	}
	resp.Cache = &CacheReport{Result: tier}
	return resp, true
}

func (s *Service) memoPut(key string, resp Response) {
	if s.results == nil || !memoizable(resp.Status) || resp.volatile {
		return
	}
	resp.Cache = nil
	if b, err := json.Marshal(resp); err == nil {
		_ = s.results.Put(key, b) // a cache that cannot store is only slower
	}
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
			var sc storedCompile
			if gob.NewDecoder(bytes.NewReader(b)).Decode(&sc) == nil {
				return cachedCompile{out: compiler.Output{
					Compile: outcome.Compile{Success: sc.Success, Diagnostics: sc.Diagnostics, Stderr: sc.Stderr},
					Module:  sc.Module, ExitCode: sc.ExitCode, Duration: time.Since(start)}, tier: tier}, nil
			}
		}
		out, err := s.compiler.Compile(ctx, in)
		if err != nil {
			return cachedCompile{}, err
		}
		if out.Limit == outcome.LimitNone && !out.Signaled {
			var b bytes.Buffer
			sc := storedCompile{Success: out.Success, Module: out.Module, ExitCode: out.ExitCode, Diagnostics: out.Diagnostics, Stderr: out.Stderr}
			if gob.NewEncoder(&b).Encode(sc) == nil {
				_ = s.modules.Put(key, b.Bytes())
			}
		}
		return cachedCompile{out: out, tier: cache.Miss}, nil
	})
	if err != nil {
		return compiler.Output{}, cache.Miss, err
	}
	return c.out, c.tier, nil
}

type cachedCompile struct {
	out  compiler.Output
	tier cache.Tier
}
