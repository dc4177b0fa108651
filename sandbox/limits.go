package sandbox

import (
	"fmt"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// Limits are the limits a request runs under, in wire units: a request
// may send any of them (`limits`) to lower or raise the server's default
// up to the server's maximum (Config.MaxRequestLimits), and every
// response says the limits it ran under. A zero field is "not given".
type Limits struct {
	// RunTimeoutMS bounds the run's wall time.
	RunTimeoutMS int64 `json:"run_timeout_ms"`
	// MemoryBytes caps the guest's linear memory (whole 64 KiB pages).
	MemoryBytes int64 `json:"memory_bytes"`
	// StdoutBytes and StderrBytes cap the captured output.
	StdoutBytes int64 `json:"stdout_bytes"`
	StderrBytes int64 `json:"stderr_bytes"`
	// CompileWallTimeMS and CompileMemoryBytes bound the compile.
	CompileWallTimeMS  int64 `json:"compile_wall_time_ms"`
	CompileMemoryBytes int64 `json:"compile_memory_bytes"`
}

// LimitField is one limit: its JSON key, the smallest value that means
// anything, and the field itself.
type LimitField struct {
	Key   string
	Floor int64
	Value *int64
}

// Fields lists the limits in declaration order, so that resolving,
// validating and decoding treat every limit alike.
func (l *Limits) Fields() []LimitField {
	return []LimitField{
		{"run_timeout_ms", 1, &l.RunTimeoutMS},
		{"memory_bytes", 64 << 10, &l.MemoryBytes},
		{"stdout_bytes", 1, &l.StdoutBytes},
		{"stderr_bytes", 1, &l.StderrBytes},
		{"compile_wall_time_ms", 1, &l.CompileWallTimeMS},
		{"compile_memory_bytes", 1, &l.CompileMemoryBytes},
	}
}

// LimitCeilings are the largest limits the engine and the jail accept
// (a maximum may be configured up to them; the jail's own max_limits
// bound the compile's further, in internal/config).
func LimitCeilings() Limits {
	rt, j := wasmrt.LimitCeilings(), jail.LimitCeilings()
	return Limits{RunTimeoutMS: rt.Timeout.Milliseconds(), MemoryBytes: rt.MemoryLimitBytes,
		StdoutBytes: rt.StdoutLimitBytes, StderrBytes: rt.StderrLimitBytes,
		CompileWallTimeMS: j.WallTimeMS, CompileMemoryBytes: j.MemoryBytes}
}

// DefaultLimits are the built-in defaults (the engine's and the jail's),
// for services built without RequestLimits.
func DefaultLimits() Limits {
	rt, j := wasmrt.DefaultConfig(), jail.DefaultLimits()
	return Limits{RunTimeoutMS: rt.TimeoutMS, MemoryBytes: rt.MemoryLimitBytes,
		StdoutBytes: rt.StdoutLimitBytes, StderrBytes: rt.StderrLimitBytes,
		CompileWallTimeMS: j.WallTimeMS, CompileMemoryBytes: j.MemoryBytes}
}

// validateMax checks a configured maximum: each field 0 (the default is
// the maximum) or within its floor and ceiling.
func (l Limits) validateMax() error {
	var list check.List
	f, c := l.Fields(), LimitCeilings()
	cf := c.Fields()
	for i := range f {
		check.RangeOrZero(&list, f[i].Key, *f[i].Value, f[i].Floor, *cf[i].Value)
	}
	return list.Err()
}

// or returns the maxima with their zero fields filled from def.
func (l Limits) or(def Limits) Limits {
	out := l
	o, d := out.Fields(), def.Fields()
	for i := range o {
		if *o[i].Value == 0 {
			*o[i].Value = *d[i].Value
		}
	}
	return out
}

// effective resolves a request's limits against the defaults and the
// maxima: a field not given takes the default; one given must lie
// between its floor and the maximum, or the request is refused naming
// the field and the bound.
func effective(req, def, max Limits) (Limits, error) {
	out := req
	o, d, m := out.Fields(), def.Fields(), max.Fields()
	for i := range o {
		key := "limits." + o[i].Key
		switch v := *o[i].Value; {
		case v == 0:
			*o[i].Value = *d[i].Value
		case v < o[i].Floor:
			return Limits{}, Invalid(key, "%s is %d; the least is %d", key, v, o[i].Floor)
		case v > *m[i].Value:
			return Limits{}, Invalid(key, "%s is %d; this server's maximum is %d", key, v, *m[i].Value)
		}
	}
	// Guest memory grows in whole pages: that is the cap it can reach.
	out.MemoryBytes -= out.MemoryBytes % (64 << 10)
	return out, nil
}

// run is the engine's form of the run limits.
func (l Limits) run() wasmrt.Limits {
	return wasmrt.Limits{MemoryLimitBytes: l.MemoryBytes, Timeout: time.Duration(l.RunTimeoutMS) * time.Millisecond,
		StdoutLimitBytes: l.StdoutBytes, StderrLimitBytes: l.StderrBytes}
}

// compile is base with the compile limits a request may set.
func (l Limits) compile(base jail.Limits) jail.Limits {
	base.WallTimeMS, base.MemoryBytes = l.CompileWallTimeMS, l.CompileMemoryBytes
	return base
}

// key is the limits as part of a cache key.
func (l Limits) key() string {
	return fmt.Sprintf("%d/%d/%d/%d/%d/%d", l.RunTimeoutMS, l.MemoryBytes, l.StdoutBytes, l.StderrBytes, l.CompileWallTimeMS, l.CompileMemoryBytes)
}
