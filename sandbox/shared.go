package sandbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
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
	// Get and Put read and store one value (a share's state), without a
	// lease; a tier that does not answer is a miss and stores nothing.
	Get(ctx context.Context, key string) ([]byte, bool)
	Put(ctx context.Context, key string, value []byte)
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

// sharedCompile compiles in, which the local tiers missed: from the
// shared tier when a replica compiled it, else here (under the shared
// tier's lease), stored in both.
func (s *Service) sharedCompile(ctx context.Context, in compiler.Input, key string) (cachedCompile, error) {
	if s.shared == nil {
		return s.compileAndStore(ctx, in, key)
	}
	start := time.Now()
	var c cachedCompile
	b, hit, err := s.shared.Do(ctx, key, func(ctx context.Context) ([]byte, error) {
		var err error
		if c, err = s.compileAndStore(ctx, in, key); err != nil {
			return nil, err
		}
		return sharedCompileValue(c.out), nil
	})
	if err != nil || !hit {
		return c, err
	}
	if c, ok := s.fromShared(key, b, start); ok {
		return c, nil
	}
	return s.compileAndStore(ctx, in, key)
}

// sharedCompileValue is a compile as the shared tier keeps it, the
// record and the module's bytes in one value (the record's length, the
// record, the bytes), or nil for a compile that is not stored (one that
// hit a limit or was killed depends on the moment).
func sharedCompileValue(out compiler.Output) []byte {
	if out.Limit != outcome.LimitNone || out.Signaled {
		return nil
	}
	var rec bytes.Buffer
	sc := storedCompile{Success: out.Success, ExitCode: out.ExitCode, Diagnostics: out.Diagnostics, Stderr: out.Stderr, ModuleBytes: len(out.Module)}
	if gob.NewEncoder(&rec).Encode(sc) != nil {
		return nil
	}
	v := binary.BigEndian.AppendUint32(nil, uint32(rec.Len()))
	return append(append(v, rec.Bytes()...), out.Module...)
}

// fromShared reads a compile from the shared tier's value and stores it
// in the local tiers, as compileAndStore does.
func (s *Service) fromShared(key string, v []byte, start time.Time) (cachedCompile, bool) {
	if len(v) < 4 || uint64(binary.BigEndian.Uint32(v)) > uint64(len(v)-4) {
		return cachedCompile{}, false
	}
	n := binary.BigEndian.Uint32(v)
	rec, bin := v[4:4+n], v[4+n:]
	var sc storedCompile
	if gob.NewDecoder(bytes.NewReader(rec)).Decode(&sc) != nil || sc.ModuleBytes != len(bin) {
		return cachedCompile{}, false
	}
	if !sc.Success || s.modules.Put(moduleBytesKey(key), bin) == nil {
		_ = s.modules.Put(key, rec)
	}
	return cachedCompile{out: compiler.Output{
		Compile:  outcome.Compile{Success: sc.Success, Diagnostics: sc.Diagnostics, Stderr: sc.Stderr},
		Module:   bin,
		ExitCode: sc.ExitCode, Duration: time.Since(start)}, tier: cache.Redis, key: key, moduleBytes: sc.ModuleBytes}, true
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
