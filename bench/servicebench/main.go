// Command servicebench starts service binaries with empty caches and
// measures, over HTTP on loopback, what issue 16's targets name: the
// overhead around a run of a cached module (end to end minus the guest's
// own run.duration_ms), memoized-hit throughput against /healthz in the
// same run, RSS idle and after the benchmark, concurrent cached runs, and
// cold compiles against the bare compile+link of the same file. With
// -baseline-bin it measures a baseline binary (an earlier commit, built by
// `make bench-service`) the same way in the same run, so the table shows
// before and now side by side. With -profile it takes pprof CPU and heap
// profiles of the current binary under each case and attributes the CPU
// of one request to its steps. It writes bench/results/service.md,
// service.png and bench/results/profiles/.
//
// Cache states, stated per case in the output: every service starts with
// an empty state directory (no memoized results, no stored modules, an
// empty wazero compilation cache); "cold" cases use a stub never seen,
// "warm" cases name what is warm.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

type options struct {
	bin, baselineBin, baselineName, outDir, programs string
	profile, hitsOnly                                bool
	cases                                            string
	worst, average, ideal                            int
	warmFor, throughputFor, profileFor               time.Duration
	throughputRound                                  time.Duration
	throughputClients, densityReqs                   int
	densityLevels                                    string
}

func main() {
	jail.MaybeInit() // the floor measurement runs the compiler through jail.Host only, but keep the binary jail-capable
	var o options
	flag.StringVar(&o.bin, "bin", "bin/rocket-sandbox", "service binary (now)")
	flag.StringVar(&o.baselineBin, "baseline-bin", "", "service binary of the baseline (before); empty: none")
	flag.StringVar(&o.baselineName, "baseline-name", "before", "what the baseline is (a commit)")
	flag.StringVar(&o.outDir, "out", "bench/results", "where results go")
	flag.StringVar(&o.programs, "programs", "bench/programs", "benchmark programs")
	flag.BoolVar(&o.profile, "profile", true, "pprof CPU and heap profiles of the current binary per case")
	flag.IntVar(&o.worst, "worst", 3, "cold compiles per program")
	flag.IntVar(&o.average, "average", 20, "cached-module runs per program")
	flag.IntVar(&o.ideal, "ideal", 1000, "memoized hits per program (sequential)")
	flag.DurationVar(&o.warmFor, "warm-for", 8*time.Second, "new-args runs before the warm average, so wazero's compiler has finished")
	flag.DurationVar(&o.throughputFor, "throughput-for", 5*time.Second, "duration of each throughput run")
	flag.DurationVar(&o.throughputRound, "throughput-round", 500*time.Millisecond, "a pair of alternating throughput rounds (memo hits, /healthz)")
	flag.DurationVar(&o.profileFor, "profile-for", 5*time.Second, "duration of each profiled run")
	flag.IntVar(&o.throughputClients, "clients", 16, "concurrent clients for throughput")
	flag.IntVar(&o.densityReqs, "density-requests", 3, "requests per client at each density level")
	flag.StringVar(&o.densityLevels, "density", "1,8,16,32,50,64", "concurrency levels")
	flag.BoolVar(&o.hitsOnly, "hits-only", false, "measure /healthz and memoized hits only (no floors, cold, warm or density cases): for profiling the hit path")
	flag.StringVar(&o.cases, "cases", "", "comma-separated workloads to measure (hello, serve, mock, example, serve-20k); empty: all")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "servicebench:", err)
		os.Exit(1)
	}
}

// workload is one program and how to vary its args.
type workload struct {
	name, short, harness, stub string
	args                       func(i int) any // nil: the harness takes no varying args
	// hitsOnly: measured for memoized hits only.
	hitsOnly bool
}

func (w workload) argsFor(i int) any {
	if w.args == nil {
		return map[string]any{}
	}
	return w.args(i)
}

func workloads(dir string) ([]workload, error) {
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return string(b), err
	}
	// The hello-world of the end-to-end tests, so the two never drift.
	helloBytes, err := os.ReadFile(filepath.Join("testdata", "e2e", "hello.rs"))
	if err != nil {
		return nil, err
	}
	mid, err := read("midapp.rs")
	if err != nil {
		return nil, err
	}
	guide, err := read("guide_block.rs")
	if err != nil {
		return nil, err
	}
	return []workload{
		{name: "hello-world (program)", short: "hello", harness: "program", stub: string(helloBytes),
			args: func(i int) any { return map[string]any{"stdin": fmt.Sprintf("run %d", i)} }},
		{name: "mid-size app (serve, 3 requests)", short: "serve", harness: "serve", stub: mid, args: func(i int) any {
			return map[string]any{"requests": []any{
				map[string]any{"uri": fmt.Sprintf("/hello/bench%d?lang=fr", i)},
				map[string]any{"method": "POST", "uri": "/todos", "headers": map[string]string{"Content-Type": "application/json"},
					"body": fmt.Sprintf(`{"id": %d, "title": "t", "done": false}`, i)},
				map[string]any{"uri": "/todos"},
			}}
		}},
		{name: "mid-size app (mock, 1 request)", short: "mock", harness: "mock", stub: mid, args: func(i int) any {
			return map[string]any{"method": "GET", "uri": fmt.Sprintf("/add/%d/%d", i, i)}
		}},
		{name: "guide example (example)", short: "example", harness: "example", stub: guide},
		{name: "mid-size app (serve, a ~20 KiB response)", short: "serve-20k", harness: "serve", stub: mid, hitsOnly: true, args: func(int) any {
			var reqs []any
			for i := 0; i < 25; i++ {
				// A long name, so the answer is about 20 KiB (25 of them).
				reqs = append(reqs, map[string]any{"uri": fmt.Sprintf("/hello/visitor%d-%s?lang=fr", i, strings.Repeat("x", 420))})
			}
			return map[string]any{"requests": reqs}
		}},
	}, nil
}

// caseResult is one workload measured on one binary.
type caseResult struct {
	w                 workload
	worst             bench.Sample
	firstRuns         bench.Sample // right after the compile (wazero may still be compiling)
	average, overhead bench.Sample // warm: compiled code
	guest             bench.Sample // run.duration_ms of the warm average
	ideal             bench.Sample
	hitRate           float64
	healthzRate       float64 // in the rounds alternating with hitRate's
	hitBytes          int
	cpu               *phaseBreakdown // profiled new-args runs
	hitCPU            *phaseBreakdown // profiled memo hits
	heap              []heapLine
	heapTotal         int64
}

type suiteResult struct {
	label                   string
	healthz                 float64
	healthzCPU              *phaseBreakdown // profiled /healthz requests
	cases                   []*caseResult
	density                 []densityLevel
	idleRSS, endRSS, endHWM int64
	cacheBytes              map[string]int64 // memory tiers at the end, by cache
	idleMem, endMem         processMemory
}

func (r *suiteResult) find(short string) *caseResult {
	for _, c := range r.cases {
		if c.w.short == short {
			return c
		}
	}
	return nil
}

func run(o options) error {
	ws, err := workloads(o.programs)
	if err != nil {
		return err
	}
	if ws, err = selectCases(ws, o.cases); err != nil {
		return err
	}
	var floors []floor
	if !o.hitsOnly {
		fmt.Fprintln(os.Stderr, "[bench] floor: bare compile+link outside the jail and the service")
		if floors, err = bareCompiles(ws, o.worst); err != nil {
			return err
		}
	}
	var suites []*suiteResult
	if o.baselineBin != "" {
		s, err := suite(o, o.baselineBin, o.baselineName, ws, false)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		suites = append(suites, s)
	}
	now, err := suite(o, o.bin, "now", ws, o.profile)
	if err != nil {
		return err
	}
	suites = append(suites, now)
	return report(o, suites, floors)
}

func suite(o options, bin, label string, ws []workload, profile bool) (*suiteResult, error) {
	fmt.Fprintf(os.Stderr, "[bench] %s: %s\n", label, bin)
	stateDir, err := os.MkdirTemp("", "rocket-sandbox-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stateDir)
	profileDir := ""
	if profile {
		profileDir = filepath.Join(o.outDir, "profiles")
		os.RemoveAll(profileDir)
	}
	svc, err := startService(bin, stateDir, profileDir)
	if err != nil {
		return nil, err
	}
	defer svc.stop()
	pid := svc.PID()
	time.Sleep(time.Second)
	res := &suiteResult{label: label}
	res.idleMem = memoryOf(pid)
	res.idleRSS = res.idleMem.total
	hs, err := svc.harnesses()
	if err != nil {
		return nil, err
	}
	if res.healthz, _, err = load(svc.addr(), rawGet(svc.addr(), "/healthz"), o.throughputClients, o.throughputFor); err != nil {
		return nil, err
	}
	if svc.prof != nil {
		if res.healthzCPU, err = svc.prof.cpu("healthz", o.profileFor, func() (int, error) {
			_, n, err := load(svc.addr(), rawGet(svc.addr(), "/healthz"), o.throughputClients, o.profileFor)
			return n, err
		}); err != nil {
			return nil, err
		}
	}
	nonce := time.Now().UnixNano()
	for _, w := range ws {
		if !hs[w.harness] {
			continue
		}
		fmt.Fprintf(os.Stderr, "[bench] %s: %s\n", label, w.name)
		c, err := measureCase(o, svc, w, nonce)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.name, err)
		}
		res.cases = append(res.cases, c)
	}
	var serve workload
	for _, w := range ws {
		if w.short == "serve" {
			serve = w
		}
	}
	if serve.stub != "" && !o.hitsOnly {
		if res.density, err = densityLevels(svc, serve, levels(o.densityLevels), o.densityReqs); err != nil {
			return nil, err
		}
	}
	res.endMem = memoryOf(pid)
	res.endRSS, res.endHWM = res.endMem.total, res.endMem.peak
	// What the caches hold then, against their budgets (a baseline
	// without the metric has none).
	if res.cacheBytes, err = svc.cacheBytes(); err != nil {
		fmt.Fprintln(os.Stderr, "[bench] no cache figures:", err)
	}
	return res, nil
}

// selectCases keeps the workloads named in list (comma-separated short
// names); an empty list keeps all.
func selectCases(ws []workload, list string) ([]workload, error) {
	if list == "" {
		return ws, nil
	}
	var out []workload
	for _, name := range strings.Split(list, ",") {
		found := false
		for _, w := range ws {
			if w.short == strings.TrimSpace(name) {
				out, found = append(out, w), true
			}
		}
		if !found {
			return nil, fmt.Errorf("-cases: no workload %q", name)
		}
	}
	return out, nil
}

func levels(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		fmt.Sscan(f, &n)
		if n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func measureCase(o options, svc *service, w workload, nonce int64) (*caseResult, error) {
	c := &caseResult{w: w}
	if !w.hitsOnly && !o.hitsOnly {
		// worst: a stub the service has never seen (cold: memo, module
		// store and wazero's caches all miss for it).
		for i := 0; i < o.worst; i++ {
			stub := fmt.Sprintf("%s\n// bench cold compile %d-%d\n", w.stub, nonce, i)
			d, a, err := svc.execute(w, stub, w.argsFor(0))
			if err != nil {
				return nil, fmt.Errorf("worst: %w", err)
			}
			if a.Status != "ok" || a.Cache.Module != "miss" {
				return nil, fmt.Errorf("worst: status %s, module %s", a.Status, a.Cache.Module)
			}
			c.worst.Durations = append(c.worst.Durations, d)
		}
	}
	// The exact stub, compiled once.
	if _, _, err := svc.execute(w, w.stub, w.argsFor(-1)); err != nil {
		return nil, err
	}
	if w.args != nil && !w.hitsOnly && !o.hitsOnly {
		// first runs: new args right after the compile (module stored;
		// wazero's optimizing compile may still be running: `auto`
		// interprets meanwhile).
		for i := 0; i < 5; i++ {
			d, _, err := svc.execute(w, w.stub, w.argsFor(100+i))
			if err != nil {
				return nil, err
			}
			c.firstRuns.Durations = append(c.firstRuns.Durations, d)
		}
		// warm: new args until warmFor has passed, so the module runs on
		// compiled code; then the measured runs.
		for start, i := time.Now(), 0; time.Since(start) < o.warmFor; i++ {
			if _, _, err := svc.execute(w, w.stub, w.argsFor(1_000_000+i)); err != nil {
				return nil, err
			}
		}
		for i := 0; i < o.average; i++ {
			d, a, err := svc.execute(w, w.stub, w.argsFor(2_000_000+i))
			if err != nil {
				return nil, fmt.Errorf("average: %w", err)
			}
			if a.Cache.Result != "miss" || a.Cache.Module == "miss" || a.Run == nil {
				return nil, fmt.Errorf("average: result %s, module %s", a.Cache.Result, a.Cache.Module)
			}
			guest := time.Duration(a.Run.DurationMS) * time.Millisecond
			c.average.Durations = append(c.average.Durations, d)
			c.guest.Durations = append(c.guest.Durations, guest)
			c.overhead.Durations = append(c.overhead.Durations, d-guest)
		}
		if svc.prof != nil {
			next := atomic.Int64{}
			next.Store(3_000_000)
			var err error
			c.cpu, err = svc.prof.cpu(w.short+"-new-args", o.profileFor, func() (int, error) {
				n := 0
				for start := time.Now(); time.Since(start) < o.profileFor; n++ {
					if _, _, err := svc.execute(w, w.stub, w.argsFor(int(next.Add(1)))); err != nil {
						return n, err
					}
				}
				return n, nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	// ideal: the same request again and again (warm: memoized in memory).
	for i := 0; i < o.ideal; i++ {
		d, a, err := svc.execute(w, w.stub, w.argsFor(-1))
		if err != nil {
			return nil, fmt.Errorf("ideal: %w", err)
		}
		if a.Cache.Result != "memory" {
			return nil, fmt.Errorf("ideal: result %s", a.Cache.Result)
		}
		c.ideal.Durations = append(c.ideal.Durations, d)
		c.hitBytes = a.bytes
	}
	// Throughput: memo hits against /healthz in alternating rounds, the
	// same bytes every time (what a client resending a request sends).
	body, _ := json.Marshal(map[string]any{"harness": w.harness, "stub": w.stub, "args": w.argsFor(-1)})
	hit := rawPost(svc.addr(), "/api/v1/execute", body)
	var err error
	if c.healthzRate, c.hitRate, err = pairedRates(svc.addr(), rawGet(svc.addr(), "/healthz"), hit, o.throughputClients, o.throughputFor, o.throughputRound); err != nil {
		return nil, err
	}
	if svc.prof != nil {
		c.hitCPU, err = svc.prof.cpu(w.short+"-memo-hit", o.profileFor, func() (int, error) {
			_, n, err := load(svc.addr(), hit, o.throughputClients, o.profileFor)
			return n, err
		})
		if err != nil {
			return nil, err
		}
		if c.heap, c.heapTotal, err = svc.prof.heap(w.short, 8); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// floor is the bare compile+link of the same main.rs a workload's stub
// becomes, outside the jail and the service.
type floor struct {
	w      workload
	sample bench.Sample
}

func bareCompiles(ws []workload, n int) ([]floor, error) {
	m, err := toolchain.Load(toolchain.DefaultStateDir())
	if err != nil {
		return nil, err
	}
	c := compiler.New(m, m.Wasm(), &jail.Host{}, compiler.Config{})
	var out []floor
	for _, w := range ws {
		if w.short != "hello" && w.short != "serve" {
			continue
		}
		h, ok := harnesses.Default().Get(w.harness)
		if !ok {
			return nil, fmt.Errorf("no harness %s", w.harness)
		}
		args, _ := json.Marshal(w.argsFor(0))
		plan, err := h.Plan(w.stub, args)
		if err != nil {
			return nil, err
		}
		i := 0
		s, err := bench.Time("bare compile+link", n, func() error {
			i++
			src := append(append([]byte{}, plan.Source...), fmt.Sprintf("\n// floor %d-%d\n", time.Now().UnixNano(), i)...)
			out, err := c.Compile(context.Background(), compiler.Input{Source: src, Edition: plan.Edition})
			if err == nil && !out.Success {
				err = fmt.Errorf("compile failed: %s", out.Stderr)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, floor{w, s})
	}
	return out, nil
}

type densityLevel struct {
	concurrency   int
	sample        bench.Sample
	throughput    float64
	peakRSSPerRun int64
	idleRSS       int64
	peakRSS       int64
}

// densityLevels runs concurrent requests with new args (so each is a real
// run of the cached module) at each level, sampling the service's RSS.
func densityLevels(svc *service, w workload, levels []int, perClient int) ([]densityLevel, error) {
	pid := svc.PID()
	var out []densityLevel
	next := atomic.Int64{}
	next.Store(1 << 24)
	for _, level := range levels {
		idle, _ := rss(pid)
		var peak atomic.Int64
		stopSampling := make(chan struct{})
		go func() {
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stopSampling:
					return
				case <-t.C:
					if cur, _ := rss(pid); cur > peak.Load() {
						peak.Store(cur)
					}
				}
			}
		}()
		var mu sync.Mutex
		lvl := densityLevel{concurrency: level, idleRSS: idle}
		var firstErr error
		var wg sync.WaitGroup
		start := time.Now()
		for c := 0; c < level; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perClient; i++ {
					d, _, err := svc.execute(w, w.stub, w.args(int(next.Add(1))))
					mu.Lock()
					if err != nil && firstErr == nil {
						firstErr = err
					}
					lvl.sample.Durations = append(lvl.sample.Durations, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(stopSampling)
		if firstErr != nil {
			return nil, fmt.Errorf("density %d: %w", level, firstErr)
		}
		lvl.throughput = float64(len(lvl.sample.Durations)) / time.Since(start).Seconds()
		lvl.peakRSS = peak.Load()
		if lvl.peakRSS > idle {
			lvl.peakRSSPerRun = (lvl.peakRSS - idle) / int64(level)
		}
		out = append(out, lvl)
	}
	return out, nil
}
