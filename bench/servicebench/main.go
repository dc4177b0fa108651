// Command servicebench starts the real service binary with empty caches
// and measures, over HTTP on loopback, the three cases a reader meets —
// ideal (a memoized hit), average (a known stub with new args: the module
// is cached) and worst (a new stub: a cold compile) — for a hello-world
// program, a mid-size app and a guide example; the throughput of memoized
// hits; the density of concurrent runs of a cached module with the
// service's peak RSS; and the floor a sandbox can approach: a bare
// compile+link of the same crate outside the jail and the service. It
// writes bench/results/service.md and service.png.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

type options struct {
	bin, outDir, programs          string
	worst, average, ideal          int
	throughputFor                  time.Duration
	throughputClients, densityReqs int
}

func main() {
	jail.MaybeInit() // the floor measurement runs the compiler through jail.Host only, but keep the binary jail-capable
	var o options
	flag.StringVar(&o.bin, "bin", "bin/rocket-sandbox", "service binary")
	flag.StringVar(&o.outDir, "out", "bench/results", "where results go")
	flag.StringVar(&o.programs, "programs", "bench/programs", "benchmark programs")
	flag.IntVar(&o.worst, "worst", 3, "cold compiles per program")
	flag.IntVar(&o.average, "average", 20, "cached-module runs per program")
	flag.IntVar(&o.ideal, "ideal", 2000, "memoized hits per program (sequential)")
	flag.DurationVar(&o.throughputFor, "throughput-for", 5*time.Second, "duration of the memoized-hit throughput run")
	flag.IntVar(&o.throughputClients, "clients", 16, "concurrent clients for throughput")
	flag.IntVar(&o.densityReqs, "density-requests", 6, "requests per client at each density level")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "servicebench:", err)
		os.Exit(1)
	}
}

// workload is one program and how to vary its args.
type workload struct {
	name, harness, stub string
	args                func(i int) any // nil: the harness takes no varying args
}

func workloads(dir string, harnesses map[string]bool) ([]workload, error) {
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		return string(b), err
	}
	// The hello-world of the end-to-end tests, so the two never drift.
	helloBytes, err := os.ReadFile(filepath.Join("testdata", "e2e", "hello.rs"))
	hello := string(helloBytes)
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
	ws := []workload{
		{name: "hello-world (program)", harness: "program", stub: hello,
			args: func(i int) any { return map[string]any{"stdin": fmt.Sprintf("run %d", i)} }},
		{name: "mid-size app (serve, 3 requests)", harness: "serve", stub: mid, args: func(i int) any {
			return map[string]any{"requests": []any{
				map[string]any{"uri": fmt.Sprintf("/hello/bench%d?lang=fr", i)},
				map[string]any{"method": "POST", "uri": "/todos", "headers": map[string]string{"Content-Type": "application/json"},
					"body": fmt.Sprintf(`{"id": %d, "title": "t", "done": false}`, i)},
				map[string]any{"uri": "/todos"},
			}}
		}},
	}
	if harnesses["mock"] {
		ws = append(ws, workload{name: "mid-size app (mock, 1 request)", harness: "mock", stub: mid, args: func(i int) any {
			return map[string]any{"method": "GET", "uri": fmt.Sprintf("/add/%d/%d", i, i)}
		}})
	}
	if harnesses["example"] {
		ws = append(ws, workload{name: "guide example (example)", harness: "example", stub: guide})
	}
	return ws, nil
}

type service struct{ *bench.Service }

func startService(bin, stateDir string) (*service, error) {
	s, err := bench.StartService(bin, stateDir, map[string]any{
		"cache": map[string]any{
			"results": map[string]any{"dir": filepath.Join(stateDir, "results")},
			"modules": map[string]any{"dir": filepath.Join(stateDir, "modules")},
		},
		"runtime": map[string]any{"compilation_cache_dir": filepath.Join(stateDir, "wazero")},
		// Let density reach past the CPU count: the bench measures where
		// the service saturates, not the admission gate.
		"service": map[string]any{"max_concurrent": 64, "max_queue": 256},
	})
	if err != nil {
		return nil, err
	}
	return &service{s}, nil
}

type answer struct {
	Status string `json:"status"`
	Cache  struct {
		Result string `json:"result"`
		Module string `json:"module"`
	} `json:"cache"`
}

func (s *service) execute(w workload, stub string, args any) (time.Duration, answer, error) {
	body, _ := json.Marshal(map[string]any{"harness": w.harness, "stub": stub, "args": args})
	start := time.Now()
	resp, err := s.Client.Post(s.URL+"/api/v1/execute", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, answer{}, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return 0, answer{}, err
	}
	var a answer
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &a) != nil {
		return 0, a, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	return elapsed, a, nil
}

func (s *service) harnesses() (map[string]bool, error) {
	r, err := s.Client.Get(s.URL + "/api/v1/harnesses")
	if err != nil {
		return nil, err
	}
	defer r.Body.Close()
	var body struct {
		Harnesses []struct{ ID string } `json:"harnesses"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, h := range body.Harnesses {
		out[h.ID] = true
	}
	return out, nil
}

// rss reads a process's resident set (VmRSS) and its peak (VmHWM), bytes.
func rss(pid int) (cur, peak int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			switch f[0] {
			case "VmRSS:":
				cur = n << 10
			case "VmHWM:":
				peak = n << 10
			}
		}
	}
	return cur, peak
}

type row struct {
	program, scenario string
	sample            bench.Sample
	throughput        float64 // requests/s, when measured
}

func run(o options) error {
	stateDir, err := os.MkdirTemp("", "rocket-sandbox-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(stateDir)
	svc, err := startService(o.bin, stateDir)
	if err != nil {
		return err
	}
	defer svc.Stop()
	hs, err := svc.harnesses()
	if err != nil {
		return err
	}
	ws, err := workloads(o.programs, hs)
	if err != nil {
		return err
	}
	nonce := time.Now().UnixNano()
	var rows []row
	for _, w := range ws {
		fmt.Fprintf(os.Stderr, "[bench] %s\n", w.name)
		argsFor := func(i int) any {
			if w.args == nil {
				return map[string]any{}
			}
			return w.args(i)
		}
		// worst: a stub the service has never seen.
		worst := bench.Sample{}
		for i := 0; i < o.worst; i++ {
			stub := fmt.Sprintf("%s\n// bench cold compile %d-%d\n", w.stub, nonce, i)
			d, a, err := svc.execute(w, stub, argsFor(0))
			if err != nil {
				return fmt.Errorf("%s worst: %w", w.name, err)
			}
			if a.Status != "ok" || a.Cache.Module != "miss" {
				return fmt.Errorf("%s worst: status %s, module %s", w.name, a.Status, a.Cache.Module)
			}
			worst.Durations = append(worst.Durations, d)
		}
		// average: the known stub (compiled above as the last worst run's
		// twin? no: warm the exact stub once), new args each time.
		if _, _, err := svc.execute(w, w.stub, argsFor(-1)); err != nil {
			return err
		}
		average := bench.Sample{}
		if w.args != nil {
			for i := 0; i < o.average; i++ {
				d, a, err := svc.execute(w, w.stub, argsFor(1000+i))
				if err != nil {
					return fmt.Errorf("%s average: %w", w.name, err)
				}
				if a.Cache.Result != "miss" || a.Cache.Module == "miss" {
					return fmt.Errorf("%s average: result %s, module %s", w.name, a.Cache.Result, a.Cache.Module)
				}
				average.Durations = append(average.Durations, d)
			}
		}
		// ideal: the same request again and again.
		ideal := bench.Sample{}
		for i := 0; i < o.ideal; i++ {
			d, a, err := svc.execute(w, w.stub, argsFor(-1))
			if err != nil {
				return fmt.Errorf("%s ideal: %w", w.name, err)
			}
			if a.Cache.Result != "memory" {
				return fmt.Errorf("%s ideal: result %s", w.name, a.Cache.Result)
			}
			ideal.Durations = append(ideal.Durations, d)
		}
		tput, err := throughput(svc, w, argsFor(-1), o.throughputClients, o.throughputFor)
		if err != nil {
			return err
		}
		rows = append(rows, row{w.name, "ideal: memoized hit", ideal, tput})
		if w.args != nil {
			rows = append(rows, row{w.name, "average: cached module, new args", average, 0})
		}
		rows = append(rows, row{w.name, "worst: new stub, cold compile", worst, 0})
	}

	floor, err := bareCompile(filepath.Join("testdata", "e2e", "hello.rs"), o.worst)
	if err != nil {
		return err
	}
	density, err := densityLevels(svc, ws[1], []int{1, 2, 4, 8, 16}, o.densityReqs)
	if err != nil {
		return err
	}
	return report(o, rows, floor, density)
}

// throughput runs clients goroutines sending the same (memoized) request
// for d and returns requests per second.
func throughput(svc *service, w workload, args any, clients int, d time.Duration) (float64, error) {
	body, _ := json.Marshal(map[string]any{"harness": w.harness, "stub": w.stub, "args": args})
	var n atomic.Int64
	var firstErr atomic.Value
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				resp, err := svc.Client.Post(svc.URL+"/api/v1/execute", "application/json", bytes.NewReader(body))
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// bareCompile is the floor: the same compile+link to wasm32-wasip1 with
// the same prepared dependencies, outside the jail and the service.
func bareCompile(helloPath string, n int) (bench.Sample, error) {
	m, err := toolchain.Load(toolchain.DefaultStateDir())
	if err != nil {
		return bench.Sample{}, err
	}
	src, err := os.ReadFile(helloPath)
	if err != nil {
		return bench.Sample{}, err
	}
	c := compiler.New(m, m.Wasm(), &jail.Host{}, compiler.Config{})
	return bench.Time("bare compile+link", n, func() error {
		out, err := c.Compile(context.Background(), compiler.Input{Source: src})
		if err == nil && !out.Success {
			err = fmt.Errorf("compile failed: %s", out.Stderr)
		}
		return err
	})
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
	next.Store(1 << 20)
	for _, level := range levels {
		runtime.GC()
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

func report(o options, rows []row, floor bench.Sample, density []densityLevel) error {
	m, _ := toolchain.Load(toolchain.DefaultStateDir())
	var b strings.Builder
	fmt.Fprintf(&b, "# Service benchmark\n\nProduced by `make bench` (`go run ./bench/servicebench`) on %s, %d CPUs, %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), m.RustcVersion)
	b.WriteString("Latencies are measured by an HTTP client on loopback against the service binary started with empty caches; they include the HTTP round trip.\n\n")
	b.WriteString("## Ideal, average, worst\n\n| program | case | runs | p50 ms | p95 ms | p99 ms | mean ms | throughput req/s |\n|---|---|---|---|---|---|---|---|\n")
	var bars []bench.Bar
	for _, r := range rows {
		tput := ""
		if r.throughput > 0 {
			tput = fmt.Sprintf("%.0f (%d clients)", r.throughput, o.throughputClients)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %s |\n", r.program, r.scenario, len(r.sample.Durations),
			bench.Ms(r.sample.Quantile(0.5)), bench.Ms(r.sample.Quantile(0.95)), bench.Ms(r.sample.Quantile(0.99)), bench.Ms(r.sample.Mean()), tput)
		bars = append(bars, bench.Bar{Group: r.scenario, Label: shortLabel(r.program, r.scenario), Ms: float64(r.sample.Quantile(0.5).Microseconds()) / 1000})
	}
	var helloWorst bench.Sample
	for _, r := range rows {
		if strings.HasPrefix(r.program, "hello") && strings.HasPrefix(r.scenario, "worst") {
			helloWorst = r.sample
		}
	}
	b.WriteString("\n## Sandbox overhead: cold end to end vs the bare compile+link floor\n\n| case | runs | p50 ms | p95 ms |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| bare compile+link of hello-world (rustc, same flags and prepared deps, no jail, no service) | %d | %s | %s |\n",
		len(floor.Durations), bench.Ms(floor.Quantile(0.5)), bench.Ms(floor.Quantile(0.95)))
	fmt.Fprintf(&b, "| new hello-world stub end to end (HTTP, jail, compile, wazero, run) | %d | %s | %s |\n",
		len(helloWorst.Durations), bench.Ms(helloWorst.Quantile(0.5)), bench.Ms(helloWorst.Quantile(0.95)))
	ratio := float64(helloWorst.Quantile(0.5)) / float64(floor.Quantile(0.5))
	fmt.Fprintf(&b, "\nRatio p50: **%.2f×** (target ≤ 1.25×).\n", ratio)

	b.WriteString("\n## Density: concurrent runs of a cached module (mid-size app, serve, new args each)\n\n| concurrent | requests | p50 ms | p95 ms | throughput req/s | service idle RSS MiB | peak RSS MiB | peak RSS per run MiB |\n|---|---|---|---|---|---|---|---|\n")
	for _, d := range density {
		fmt.Fprintf(&b, "| %d | %d | %s | %s | %.1f | %.0f | %.0f | %.1f |\n", d.concurrency, len(d.sample.Durations),
			bench.Ms(d.sample.Quantile(0.5)), bench.Ms(d.sample.Quantile(0.95)), d.throughput,
			float64(d.idleRSS)/(1<<20), float64(d.peakRSS)/(1<<20), float64(d.peakRSSPerRun)/(1<<20))
	}
	bars = append(bars, bench.Bar{Group: "floor", Label: "bare compile+link (floor)", Ms: float64(floor.Quantile(0.5).Microseconds()) / 1000})
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return err
	}
	b.WriteString("\n![p50 latencies](service.png)\n")
	if err := bench.WriteBarChart(filepath.Join(o.outDir, "service.png"), "rocket-sandbox p50 latency by case", bars); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(filepath.Join(o.outDir, "service.md"), []byte(b.String()), 0o644)
}

func shortLabel(program, scenario string) string {
	p := strings.SplitN(program, " (", 2)[0]
	s := strings.SplitN(scenario, ":", 2)[0]
	if strings.Contains(program, "mock") {
		p += " (mock)"
	}
	return p + " / " + s
}
