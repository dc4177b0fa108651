// Command workerbench measures what running a module in a run worker
// costs over running it in the service's process: the same job, the
// module already compiled on both sides (a cached module), run through
// runtime.Engine in process (the baseline) and through worker.Pool,
// interleaved in one run. It also reports each worker's resident memory.
// It writes bench/results/worker-overhead.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
	"github.com/rocket-sandbox/rocket-sandbox/worker"
)

func main() {
	jail.MaybeInit() // the jail re-executes this binary as the workers
	n := flag.Int("n", 200, "runs per case and side")
	out := flag.String("out", "bench/results/worker-overhead.md", "markdown output")
	hello := flag.String("hello", "testdata/e2e/hello.rs", "the Rocket hello-world stub")
	flag.Parse()
	if err := run(*n, *out, *hello); err != nil {
		fmt.Fprintln(os.Stderr, "workerbench:", err)
		os.Exit(1)
	}
}

func run(n int, out, helloPath string) error {
	ctx := context.Background()
	m, err := toolchain.Load(toolchain.DefaultStateDir())
	if err != nil {
		return err
	}
	j, err := jail.New(jail.Policy{ReadOnlyPaths: m.ReadOnlyPaths()}.ForInstance(os.Getpid()))
	if err != nil {
		return err
	}
	defer j.Close()
	hello, err := os.ReadFile(helloPath)
	if err != nil {
		return err
	}
	c := compiler.New(m, m.Wasm(), j, compiler.Config{})
	cases := []struct {
		name string
		src  []byte
	}{
		{"`println!` (a plain program)", []byte("fn main() { println!(\"hi\"); }\n")},
		{"Rocket hello world (local client)", hello},
	}
	modules := make([][]byte, len(cases))
	for i, cs := range cases {
		o, err := c.Compile(ctx, compiler.Input{Source: cs.src})
		if err != nil {
			return err
		}
		if !o.Success {
			return fmt.Errorf("compile %s: %s", cs.name, o.Stderr)
		}
		modules[i] = o.Module
	}

	// The service's runtime defaults, with compiled code on both sides
	// (EngineAuto would interpret a module's first runs): the measure is
	// the worker's own cost for a module both have ready.
	rt := wasmrt.DefaultConfig()
	rt.Engine = wasmrt.EngineCompiler
	engine, err := wasmrt.New(ctx, rt)
	if err != nil {
		return err
	}
	defer engine.Close(ctx)
	pool, err := worker.New(worker.Config{Enabled: true, Count: 1}, rt, compiler.DefaultMaxModuleBytes, worker.InJail(j), nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	idleRSS := rss(pool.Pids()[0])

	var b strings.Builder
	fmt.Fprintf(&b, "# Run worker overhead\n\nProduced by `make bench-workers` (`go run ./bench/workerbench`) on %s, %d CPUs.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU())
	b.WriteString("Baseline: the same job on a `runtime.Engine` in this process, interleaved with the runs through a `worker.Pool` of one worker (jailed, over its socketpair). ")
	b.WriteString("Cache state: the module compiled (wazero's compiler, the service's other runtime defaults) and kept on both sides before the first timed run: a cached module; each run instantiates it afresh, as every run does. ")
	b.WriteString("Jobs name their module by a key, as the service does (its compile key). A worker run's time includes encoding and decoding the job and the result, the socketpair both ways and waking the worker.\n\n")
	b.WriteString(strings.Replace(bench.PairHeader, "| jail p50 ms | jail p95 ms |", "| worker p50 ms | worker p95 ms |", 1))
	var overheads []time.Duration
	for i, cs := range cases {
		// Named by a key, as the service names modules by their compile
		// key: neither side hashes the bytes per run.
		job := wasmrt.Job{Module: modules[i], ModuleKey: fmt.Sprintf("bench-%d", i)}
		inProc := func() error { _, err := engine.Run(ctx, job); return err }
		inWorker := func() error { _, err := pool.Run(ctx, job); return err }
		for _, f := range []func() error{inProc, inWorker} { // warm: compile on both sides
			if err := f(); err != nil {
				return err
			}
		}
		var base, with bench.Sample
		for range n {
			s, err := bench.Time("in process", 1, inProc)
			if err != nil {
				return err
			}
			base.Durations = append(base.Durations, s.Durations...)
			s, err = bench.Time("worker", 1, inWorker)
			if err != nil {
				return err
			}
			with.Durations = append(with.Durations, s.Durations...)
		}
		bench.WritePair(&b, cs.name, base, with)
		overheads = append(overheads, with.Quantile(0.5)-base.Quantile(0.5))
	}
	verdict := "met"
	for _, o := range overheads {
		if o > time.Millisecond {
			verdict = "missed"
		}
	}
	fmt.Fprintf(&b, "\nAdded cost per run through a worker (p50 difference): **%s ms** (plain program), **%s ms** (Rocket) — target ≤ 1 ms for a cached module: %s.\n",
		bench.Ms(overheads[0]), bench.Ms(overheads[1]), verdict)
	fmt.Fprintf(&b, "\nResident memory of a worker (VmRSS): %s MiB idle after start, %s MiB after these runs (both modules compiled and kept); its cgroup limit with the defaults is %d MiB.\n",
		mib(idleRSS), mib(rss(pool.Pids()[0])), pool.MemoryBytes()>>20)
	b.WriteString("The memo and the compile path do not go through workers; they are unchanged (bench/results/service.md).\n")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// rss is a process's VmRSS in bytes (-1 if unreadable).
func rss(pid int) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return -1
}

func mib(b int64) string { return fmt.Sprintf("%.0f", float64(b)/(1<<20)) }
