package metrics

import (
	"context"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// Compiler measures c's compiles: their time, and the jobs compiling.
func (m *Metrics) Compiler(c sandbox.Compiler) sandbox.Compiler { return &compilerSeam{c, m} }

type compilerSeam struct {
	sandbox.Compiler
	m *Metrics
}

func (s *compilerSeam) Compile(ctx context.Context, in compiler.Input) (compiler.Output, error) {
	g := s.m.inFlight.WithLabelValues(PhaseCompiling)
	g.Inc()
	defer g.Dec()
	out, err := s.Compiler.Compile(ctx, in)
	if err == nil {
		s.m.compileDuration.WithLabelValues(boolLabel(out.Success)).Observe(out.Duration.Seconds())
	}
	return out, err
}

// Engine measures e's runs: their time, and the jobs running.
func (m *Metrics) Engine(e sandbox.Engine) sandbox.Engine { return &engineSeam{e, m} }

type engineSeam struct {
	sandbox.Engine
	m *Metrics
}

func (s *engineSeam) Run(ctx context.Context, job wasmrt.Job) (wasmrt.Result, error) {
	g := s.m.inFlight.WithLabelValues(PhaseRunning)
	g.Inc()
	defer g.Dec()
	res, err := s.Engine.Run(ctx, job)
	if err == nil {
		limit := string(res.Limit)
		if limit == "" {
			limit = "none"
		}
		s.m.runDuration.WithLabelValues(limit).Observe(res.Duration.Seconds())
	}
	return res, err
}

// Holds passes on the engine's answer to whether it holds a compiled
// module (sandbox's holder): the decorator must not hide it, or every
// run would read the module's bytes again.
func (s *engineSeam) Holds(moduleKey string) bool {
	h, ok := s.Engine.(interface{ Holds(string) bool })
	return ok && h.Holds(moduleKey)
}

// Runner counts r's set-up failures: the jail returns an error only when
// it could not start the job (what the job did is its result), and a
// caller's cancellation is not a failure.
func (m *Metrics) Runner(r compiler.Runner) compiler.Runner { return &runnerSeam{r, m} }

type runnerSeam struct {
	compiler.Runner
	m *Metrics
}

func (s *runnerSeam) Run(ctx context.Context, cmd jail.Command) (jail.Result, error) {
	res, err := s.Runner.Run(ctx, cmd)
	if err != nil && ctx.Err() == nil {
		s.m.jailFailures.Inc()
	}
	return res, err
}

// Store counts the lookups of st, a cache named name ("result",
// "module"), by the tier that answered.
func (m *Metrics) Store(name string, st sandbox.Store) sandbox.Store {
	hit := map[cache.Tier]prometheus.Counter{}
	for _, t := range []cache.Tier{cache.Memory, cache.Disk} {
		hit[t] = m.lookups.WithLabelValues(name, "hit", string(t))
	}
	return &storeSeam{Store: st, m: m, name: name, hit: hit, miss: m.lookups.WithLabelValues(name, "miss", "none")}
}

type storeSeam struct {
	sandbox.Store
	m    *Metrics
	name string
	hit  map[cache.Tier]prometheus.Counter
	miss prometheus.Counter
}

func (s *storeSeam) Get(key string) ([]byte, cache.Tier) {
	v, tier := s.Store.Get(key)
	switch c, ok := s.hit[tier]; {
	case tier == cache.Miss:
		s.miss.Inc()
	case ok:
		c.Inc()
	default: // a tier added later
		s.m.lookups.WithLabelValues(s.name, "hit", string(tier)).Inc()
	}
	return v, tier
}

// Usage is a cache's bytes per tier, read at each scrape.
type Usage func() map[string]int64

// CacheBytes exposes the bytes each tier of the named cache holds,
// read from usage at scrape time.
func (m *Metrics) CacheBytes(name string, usage Usage) {
	m.bytes.mu.Lock()
	defer m.bytes.mu.Unlock()
	m.bytes.caches = append(m.bytes.caches, namedUsage{name, usage})
}

var cacheBytesDesc = prometheus.NewDesc(namespace+"_cache_bytes",
	"Bytes each cache holds, by cache and tier (memory, disk; wazero's compiled modules and its compilation cache directory).",
	[]string{"cache", "tier"}, nil)

// bytesCollector reads every cache's usage at scrape time; one collector
// for all of them, as a registry takes each descriptor once.
type bytesCollector struct {
	mu     sync.Mutex
	caches []namedUsage
}

type namedUsage struct {
	name  string
	usage Usage
}

func (c *bytesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- cacheBytesDesc }

func (c *bytesCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	caches := append([]namedUsage(nil), c.caches...)
	c.mu.Unlock()
	for _, cu := range caches {
		for tier, n := range cu.usage() {
			ch <- prometheus.MustNewConstMetric(cacheBytesDesc, prometheus.GaugeValue, float64(n), cu.name, tier)
		}
	}
}

func boolLabel(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// Shared counts the lookups of the tier replicas share (cache "shared",
// tier "redis") and exposes whether it answers
// (rocket_sandbox_shared_tier_up).
func (m *Metrics) Shared(sh sandbox.Shared) sandbox.Shared {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "shared_tier_up",
		Help: "1 while the tier replicas share (Redis) answers, 0 while the node runs on its local tiers."},
		func() float64 {
			if sh.Up() {
				return 1
			}
			return 0
		}))
	return &sharedSeam{Shared: sh, hit: m.lookups.WithLabelValues("shared", "hit", "redis"),
		miss: m.lookups.WithLabelValues("shared", "miss", "none")}
}

type sharedSeam struct {
	sandbox.Shared
	hit, miss prometheus.Counter
}

func (s *sharedSeam) Do(ctx context.Context, key string, fn func(context.Context) ([]byte, error)) ([]byte, bool, error) {
	v, hit, err := s.Shared.Do(ctx, key, fn)
	if hit {
		s.hit.Inc()
	} else if err == nil {
		s.miss.Inc()
	}
	return v, hit, err
}
