package sandbox

import (
	"context"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
)

// Shared is the tier replicas share, below this replica's stores:
// memoized responses and compiles that another replica computed, and
// single flight across replicas. *rediscache.Client implements it.
type Shared interface {
	// Do returns key's value when a replica has shared one (hit);
	// otherwise it runs fn, one replica at a time per key, and shares
	// the value fn returns (nil: nothing to share). It fails only with
	// fn's error or ctx's; a shared tier that does not answer runs fn.
	Do(ctx context.Context, key string, fn func(context.Context) ([]byte, error)) (value []byte, hit bool, err error)
	// Up says whether the tier answers (false: the service runs on its
	// local tiers).
	Up() bool
}

// executeShared computes a response that the local tiers missed: from
// the shared tier when a replica computed it, else by executing it here
// (under the shared tier's lease), memoized in both.
func (s *Service) executeShared(ctx context.Context, key string, run func(context.Context) (Response, error)) (Response, error) {
	local := func(ctx context.Context) (Response, []byte, error) {
		resp, err := run(ctx)
		if err != nil {
			return Response{}, nil, err
		}
		return resp, s.memoPut(key, resp), nil
	}
	if s.shared == nil {
		resp, _, err := local(ctx)
		return resp, err
	}
	var resp Response
	b, hit, err := s.shared.Do(ctx, key, func(ctx context.Context) (b []byte, err error) {
		resp, b, err = local(ctx)
		return b, err
	})
	if err != nil || !hit {
		return resp, err
	}
	if r, ok := decodeMemo(b, cache.Redis); ok {
		_ = s.results.Put(key, b) // the next lookup here is local
		return r, nil
	}
	// Sound in the shared tier (its checksum holds) but not a response
	// this binary reads: compute it here.
	resp, _, err = local(ctx)
	return resp, err
}

// sharedCompile is executeShared for compiles: compile returns the
// compile and the bytes stored for it (nil: not storable).
func (s *Service) sharedCompile(ctx context.Context, key string, compile func(context.Context) (cachedCompile, []byte, error)) (cachedCompile, error) {
	if s.shared == nil {
		c, _, err := compile(ctx)
		return c, err
	}
	start := time.Now()
	var c cachedCompile
	b, hit, err := s.shared.Do(ctx, key, func(ctx context.Context) (b []byte, err error) {
		c, b, err = compile(ctx)
		return b, err
	})
	if err != nil || !hit {
		return c, err
	}
	if out, ok := decodeCompile(b, start); ok {
		_ = s.modules.Put(key, b)
		return cachedCompile{out: out, tier: cache.Redis}, nil
	}
	c, _, err = compile(ctx)
	return c, err
}

// Health is how the service is: "ok", or "degraded" when it has a shared
// tier that does not answer (it serves from its local tiers meanwhile).
type Health struct {
	Status string `json:"status"`
	// Redis is the shared tier's state, "up" or "down"; absent without one.
	Redis string `json:"redis,omitempty"`
}

// Health reports the service's health.
func (s *Service) Health() Health {
	if s.shared == nil {
		return Health{Status: "ok"}
	}
	if s.shared.Up() {
		return Health{Status: "ok", Redis: "up"}
	}
	return Health{Status: "degraded", Redis: "down"}
}
