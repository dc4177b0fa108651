package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

// profiler fetches Go profiles from a service started with
// ROCKET_SANDBOX_PPROF_LISTEN.
type profiler struct {
	base string // http://127.0.0.1:PORT/debug/pprof
	dir  string // where the raw profiles are written
}

// cpu profiles the service while f runs (f must run for about d).
func (p *profiler) cpu(name string, d time.Duration, f func() (requests int, err error)) (*phaseBreakdown, error) {
	type got struct {
		prof *profile.Profile
		err  error
	}
	ch := make(chan got, 1)
	go func() {
		prof, err := p.fetch(fmt.Sprintf("profile?seconds=%d", int(d.Seconds())), name+".cpu.pb.gz")
		ch <- got{prof, err}
	}()
	time.Sleep(100 * time.Millisecond) // the profile starts first
	n, err := f()
	if err != nil {
		return nil, err
	}
	g := <-ch
	if g.err != nil {
		return nil, g.err
	}
	b := breakdown(g.prof, n)
	b.name = name
	return b, nil
}

// heap returns the service's in-use heap by function (top n).
func (p *profiler) heap(name string, n int) ([]heapLine, int64, error) {
	prof, err := p.fetch("heap?gc=1", name+".heap.pb.gz")
	if err != nil {
		return nil, 0, err
	}
	idx := len(prof.SampleType) - 1 // inuse_space
	for i, st := range prof.SampleType {
		if st.Type == "inuse_space" {
			idx = i
		}
	}
	by := map[string]int64{}
	var total int64
	for _, s := range prof.Sample {
		v := s.Value[idx]
		total += v
		by[allocSite(s)] += v
	}
	var out []heapLine
	for f, v := range by {
		out = append(out, heapLine{f, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].bytes > out[j].bytes })
	if len(out) > n {
		out = out[:n]
	}
	return out, total, nil
}

type heapLine struct {
	site  string
	bytes int64
}

// allocSite names an allocation by its first frame outside Go's runtime
// and the standard containers (what allocated, not how).
func allocSite(s *profile.Sample) string {
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			f := l.Function.Name
			if strings.HasPrefix(f, "runtime.") || strings.HasPrefix(f, "bytes.") || strings.HasPrefix(f, "strings.") || strings.HasPrefix(f, "slices.") {
				continue
			}
			return trimPkg(f)
		}
	}
	return "(runtime)"
}

func (p *profiler) fetch(query, file string) (*profile.Profile, error) {
	resp, err := http.Get(p.base + "/" + query)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("pprof %s: HTTP %d: %.200s", query, resp.StatusCode, raw)
	}
	if p.dir != "" {
		if err := os.MkdirAll(p.dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(p.dir, file), raw, 0o644); err != nil {
			return nil, err
		}
	}
	return profile.ParseData(raw)
}

// phases attributes a CPU sample to the step of a request it belongs to:
// the innermost frame (from the leaf up) that matches a phase decides.
var phases = []struct {
	name  string
	match []string
}{
	{"wazero compile (module bytes → code)", []string{"wazero.(*runtime).CompileModule"}},
	{"instantiate + close instance", []string{"wazero.(*runtime).InstantiateModule", "wasm.(*ModuleInstance).Close", "wasm.(*ModuleInstance).CloseWithExitCode"}},
	{"guest (wasm code, WASI and vsock host calls)", []string{"api.Function.Call", "wazevo.(*callEngine).Call", "interpreter.(*callEngine).Call", "wazevo.(*callEngine).call", "interpreter.(*callEngine).call", "runtime._ExternalCode"}},
	{"harness (plan, response tracking, result parse)", []string{"rocket-sandbox/harnesses."}},
	{"recall index (hash and compare the request's bytes)", []string{"server.wire.", "server.(*recallIndex)"}},
	{"memo lookup", []string{"sandbox.(*Service).memoGet", "sandbox.(*Service).memoGetRaw", "sandbox.(*Service).Recall", "sandbox.answerInPlace", "sandbox.answerForm", "cache.(*Store).Get"}},
	{"memo store", []string{"sandbox.(*Service).memoPut"}},
	{"module lookup (compile record, engine's module cache)", []string{"sandbox.(*Service).compile", "runtime.(*moduleCache)", "runtime.(*Engine).backendFor", "runtime.(*Engine).Holds", "runtime.moduleKeyOf", "runtime.bytesKey"}},
	{"key (normalize, canonical args, digests)", []string{"sandbox.normalizeStub", "sandbox.canonicalArgs", "sandbox.(*Service).resultKey", "sandbox.seedOf", "sandbox.runtimeSeed", "sandbox.digestOf"}},
	{"encode response", []string{"server.encodeJSON", "sandbox.EncodeResponse", "sandbox.encodeResponse", "sandbox.(*Service).ExecuteJSON"}},
	{"decode request", []string{"server.parseExecute", "server.rawBody", "server.requireJSON", "server.(*server).execute"}},
	{"request log line, metrics", []string{"log/slog.", "rocket-sandbox/metrics."}},
	{"admission", []string{"sandbox.(*gate)", "sandbox.(*preparations)"}},
	{"HTTP read, route, write (fasthttp, fiber, syscalls)", []string{"valyala/fasthttp.", "gofiber/fiber", "net.(*conn)", "internal/poll.", "server.(*server)"}},
	{"GC (background)", []string{"runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge"}},
	{"scheduler, timers", []string{"runtime.schedule", "runtime.findRunnable", "runtime.mcall", "runtime.sysmon"}},
}

const otherPhase = "other"

type phaseBreakdown struct {
	name     string
	requests int
	total    time.Duration
	by       map[string]time.Duration
	// others is the top of what no phase matched (leaf functions).
	others map[string]time.Duration
	// leaves is the top of leaf functions overall (the flat profile).
	leaves map[string]time.Duration
}

func breakdown(p *profile.Profile, requests int) *phaseBreakdown {
	idx := len(p.SampleType) - 1
	for i, st := range p.SampleType {
		if st.Unit == "nanoseconds" {
			idx = i
		}
	}
	b := &phaseBreakdown{requests: requests, by: map[string]time.Duration{}, others: map[string]time.Duration{}, leaves: map[string]time.Duration{}}
	for _, s := range p.Sample {
		v := time.Duration(s.Value[idx])
		b.total += v
		ph := phaseOf(s)
		b.by[ph] += v
		leaf := "(no frames)"
		if len(s.Location) > 0 && len(s.Location[0].Line) > 0 {
			leaf = trimPkg(s.Location[0].Line[0].Function.Name)
		}
		b.leaves[leaf] += v
		if ph == otherPhase {
			b.others[leaf] += v
		}
	}
	return b
}

func phaseOf(s *profile.Sample) string {
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			for _, ph := range phases {
				for _, m := range ph.match {
					if strings.Contains(l.Function.Name, m) {
						return ph.name
					}
				}
			}
		}
	}
	return otherPhase
}

func trimPkg(f string) string {
	f = strings.TrimPrefix(f, "github.com/rocket-sandbox/rocket-sandbox/")
	f = strings.TrimPrefix(f, "github.com/tetratelabs/")
	return f
}

// perRequest is d spread over the profiled requests, in ms (three
// decimals: a memo hit is tens of µs).
func (b *phaseBreakdown) perRequest(d time.Duration) string {
	if b.requests == 0 {
		return "—"
	}
	return fmt.Sprintf("%.3f", float64(d)/float64(b.requests)/1e6)
}

// top returns m's largest entries.
func top(m map[string]time.Duration, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}
