// Command nativebench compares executing the same Rocket program natively
// (x86_64, the native build of the dependency profile) and as wasm in
// wazero: Rocket's ignite plus N requests dispatched through the local
// client. Times are taken from outside the program (the guest's clock is
// virtual): the native process's wall time, and the wasm run's
// instantiate-to-exit time on warm compiled code; native and wasm runs
// alternate, so both see the same load. The cost per dispatched request
// is the slope between N=0 and the largest N. It also counts the wasm
// run's host calls (a wazero function listener on the host modules, in
// runs of their own) and times the interpreter, and writes
// bench/results/native-vs-wasm.md.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/runtime/native"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

func main() {
	reps := flag.Int("n", 9, "runs per case")
	out := flag.String("out", "bench/results/native-vs-wasm.md", "markdown output")
	program := flag.String("program", "bench/programs/dispatch.rs", "the workload")
	sizes := flag.String("sizes", "0,1,10,100,1000", "requests dispatched per run (the first and last give the cost per request)")
	flag.Parse()
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			fmt.Fprintln(os.Stderr, "nativebench: -sizes:", f)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	if err := run(*reps, *out, *program, ns); err != nil {
		fmt.Fprintln(os.Stderr, "nativebench:", err)
		os.Exit(1)
	}
}

// point is one N's p50 for each way of running it.
type point struct{ native, wasm, interp time.Duration }

func run(reps int, out, program string, ns []int) error {
	ctx := context.Background()
	m, err := toolchain.Load(toolchain.DefaultStateDir())
	if err != nil {
		return err
	}
	nativeBuild, err := m.Native()
	if err != nil {
		return err
	}
	src, err := os.ReadFile(program)
	if err != nil {
		return err
	}
	// Both at the service's settings for stubs, so the comparison is of
	// execution, not of optimization levels.
	wasmOut, err := compiler.New(m, m.Wasm(), &jail.Host{}, compiler.Config{}).Compile(ctx, compiler.Input{Source: src})
	if err != nil || !wasmOut.Success {
		return fmt.Errorf("wasm compile: %v %s", err, wasmOut.Stderr)
	}
	nativeOut, err := compiler.New(m, nativeBuild, &jail.Host{}, compiler.Config{}).Compile(ctx, compiler.Input{Source: src})
	if err != nil || !nativeOut.Success {
		return fmt.Errorf("native compile: %v %s", err, nativeOut.Stderr)
	}
	dir, err := os.MkdirTemp("", "nativebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	exe := filepath.Join(dir, "dispatch")
	if err := os.WriteFile(exe, nativeOut.Module, 0o755); err != nil {
		return err
	}
	compiled, err := wasmrt.New(ctx, wasmrt.Config{Engine: wasmrt.EngineCompiler})
	if err != nil {
		return err
	}
	defer compiled.Close(ctx)
	interp, err := wasmrt.New(ctx, wasmrt.Config{Engine: wasmrt.EngineInterpreter})
	if err != nil {
		return err
	}
	defer interp.Close(ctx)
	// The host calls, counted on an engine of their own: a listener
	// slows the calls it watches.
	calls := &hostCalls{}
	counted, err := wasmrt.New(experimental.WithFunctionListenerFactory(ctx, calls), wasmrt.Config{Engine: wasmrt.EngineCompiler})
	if err != nil {
		return err
	}
	defer counted.Close(ctx)

	runWasm := func(e *wasmrt.Engine, n int) (time.Duration, error) {
		r, err := e.Run(ctx, wasmrt.Job{Module: wasmOut.Module, Stdin: []byte(strconv.Itoa(n))})
		if err != nil {
			return 0, err
		}
		if !r.Succeeded() || !strings.Contains(string(r.Stdout), strconv.Itoa(n)+" requests") {
			return 0, fmt.Errorf("wasm run: %s %s %s", r.Stdout, r.Stderr, r.Trap)
		}
		return r.Duration, nil
	}
	runNative := func(n int) (time.Duration, error) {
		cmd := exec.Command(exe)
		cmd.Stdin = bytes.NewReader([]byte(strconv.Itoa(n)))
		cmd.Env = native.Env()
		start := time.Now()
		outb, err := cmd.Output()
		d := time.Since(start)
		if err == nil && !strings.Contains(string(outb), strconv.Itoa(n)+" requests") {
			err = fmt.Errorf("native output %q", outb)
		}
		return d, err
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Native vs wasm execution\n\nProduced by `make bench-native` (`go run ./bench/nativebench`) on %s, %d CPUs, %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), m.RustcVersion)
	b.WriteString("Workload: `bench/programs/dispatch.rs` — build a Rocket app, ignite it with a tracked local client, dispatch N requests (GET with path params, GET with arithmetic, POST JSON echo). Both builds use the service's stub settings (opt-level 0, dependencies at opt-level 2). Native: the process's wall time (includes exec and process start). Wasm: the engine's instantiate-to-exit time, wazero's optimizing compiler, warm (the module compiled once before); the interpreter likewise. **Cache state**: warm (the compiled module in the engine's memory). Native and wasm runs alternate, so both see the same machine. Baseline: native, measured in the same run.\n\n")
	fmt.Fprintf(&b, "| N requests | runs | native p50 ms | native p95 ms | wasm p50 ms | wasm p95 ms | wasm ÷ native (p50) | interpreter p50 ms |\n|---|---|---|---|---|---|---|---|\n")
	points := map[int]point{}
	for _, n := range ns {
		if _, err := runWasm(compiled, n); err != nil { // warm: compiled before
			return err
		}
		if _, err := runWasm(interp, n); err != nil {
			return err
		}
		var nat, wasm, in bench.Sample
		for i := 0; i < reps; i++ {
			first, second := "native", "wasm"
			if i%2 == 1 {
				first, second = second, first
			}
			for _, which := range []string{first, second} {
				var d time.Duration
				var err error
				if which == "native" {
					d, err = runNative(n)
					nat.Durations = append(nat.Durations, d)
				} else {
					d, err = runWasm(compiled, n)
					wasm.Durations = append(wasm.Durations, d)
				}
				if err != nil {
					return err
				}
			}
			// The interpreter is slow: a third of the runs.
			if i%3 == 0 {
				d, err := runWasm(interp, n)
				if err != nil {
					return err
				}
				in.Durations = append(in.Durations, d)
			}
		}
		points[n] = point{nat.Quantile(0.5), wasm.Quantile(0.5), in.Quantile(0.5)}
		fmt.Fprintf(&b, "| %d | %d | %s | %s | %s | %s | %.2f× | %s |\n", n, reps, bench.Ms(nat.Quantile(0.5)), bench.Ms(nat.Quantile(0.95)),
			bench.Ms(wasm.Quantile(0.5)), bench.Ms(wasm.Quantile(0.95)), float64(wasm.Quantile(0.5))/float64(nat.Quantile(0.5)), bench.Ms(in.Quantile(0.5)))
	}
	lo, hi := ns[0], ns[len(ns)-1]
	per := func(d func(point) time.Duration) float64 {
		return float64(d(points[hi])-d(points[lo])) / float64(hi-lo) / 1e3 // µs
	}
	perNative, perWasm, perInterp := per(func(p point) time.Duration { return p.native }), per(func(p point) time.Duration { return p.wasm }), per(func(p point) time.Duration { return p.interp })
	fmt.Fprintf(&b, "\n**Per dispatched request** (the slope from N=%d to N=%d, p50s): native %.1f µs, wasm %.1f µs: **%.2f×** (issue 16's target ≤ 3×); the interpreter %.1f µs (%.1f× native). Ignite alone (N=%d): wasm ÷ native %.2f× (native includes exec and process start).\n",
		lo, hi, perNative, perWasm, perWasm/perNative, perInterp, perInterp/perNative, lo, float64(points[lo].wasm)/float64(points[lo].native))

	// Host calls per request: two counted runs, at lo and hi.
	calls.reset()
	if _, err := runWasm(counted, lo); err != nil {
		return err
	}
	atLo := calls.snapshot()
	calls.reset()
	if _, err := runWasm(counted, hi); err != nil {
		return err
	}
	atHi := calls.snapshot()
	b.WriteString("\n## Host calls of the wasm run\n\nCounted by a wazero function listener on the host modules' functions (WASI, the sandbox's own), in runs of their own on a third engine (a listener slows what it watches: these runs are not timed above). Time is the wall time inside the host function, listener included.\n\n")
	fmt.Fprintf(&b, "| host function | calls at N=%d (ignite, exit) | calls per request | µs per request inside it |\n|---|---|---|---|\n", lo)
	var names []string
	for name := range atHi {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return atHi[names[i]].calls > atHi[names[j]].calls })
	var totalCalls float64
	var totalTime float64
	for _, name := range names {
		c := (float64(atHi[name].calls) - float64(atLo[name].calls)) / float64(hi-lo)
		t := float64(atHi[name].time-atLo[name].time) / float64(hi-lo) / 1e3
		totalCalls += c
		totalTime += t
		fmt.Fprintf(&b, "| `%s` | %d | %.1f | %.2f |\n", name, atLo[name].calls, c, t)
	}
	fmt.Fprintf(&b, "| **all** | | **%.1f** | **%.2f** |\n", totalCalls, totalTime)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// hostCalls is a function listener factory that counts and times the
// calls of host functions (those implemented in Go); guest functions
// get no listener, so their code is compiled as without one.
type hostCalls struct {
	mu sync.Mutex
	by map[string]*hostCall
}

type hostCall struct {
	calls int64
	time  time.Duration
}

func (h *hostCalls) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	if def.GoFunction() == nil {
		return nil
	}
	return &hostListener{h: h, name: def.ModuleName() + "." + def.Name()}
}

func (h *hostCalls) reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.by = map[string]*hostCall{}
}

func (h *hostCalls) snapshot() map[string]hostCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]hostCall{}
	for k, v := range h.by {
		out[k] = *v
	}
	return out
}

func (h *hostCalls) add(name string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.by[name]
	if c == nil {
		c = &hostCall{}
		h.by[name] = c
	}
	c.calls++
	c.time += d
}

// hostListener times one host function's calls (they do not nest: a
// host function does not call back into the guest).
type hostListener struct {
	h     *hostCalls
	name  string
	start time.Time
}

func (l *hostListener) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	l.start = time.Now()
}

func (l *hostListener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) {
	l.h.add(l.name, time.Since(l.start))
}

func (l *hostListener) Abort(context.Context, api.Module, api.FunctionDefinition, error) {
	l.h.add(l.name, time.Since(l.start))
}
