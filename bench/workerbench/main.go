// Command workerbench measures what running a module in a run worker
// costs over running it in the service's process: the same job, the
// module already compiled on every side (a cached module), run through
// runtime.Engine in process (the baseline), through a worker.Pool whose
// worker this process started, and through one whose worker a keeper
// started, as in the split service (front_door.uid: the keeper on one end
// of a socketpair, its keeper.Client the pool's starter, the worker's
// socket handed over by SCM_RIGHTS), interleaved in one run. It also
// reports each worker's resident memory. It writes
// bench/results/worker-overhead.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/keeper"
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
	split, client, stopKeeper, err := keeperPool(ctx, j, m, rt)
	if err != nil {
		return err
	}
	defer stopKeeper()
	defer split.Close()

	var b strings.Builder
	fmt.Fprintf(&b, "# Run worker overhead\n\nProduced by `make bench-workers` (`go run ./bench/workerbench`) on %s, %d CPUs.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU())
	b.WriteString("Baseline: the same job on a `runtime.Engine` in this process, interleaved with the runs through a `worker.Pool` of one worker (jailed, over its socketpair) and through a pool of one worker started by a keeper, as in the split service (the default: the keeper on one end of a socketpair, the pool's starter its `keeper.Client`, the worker's socket passed by `SCM_RIGHTS`; runs go from the pool to the worker directly, the keeper is not on their path). ")
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
		inSplit := func() error { _, err := split.Run(ctx, job); return err }
		sides := []func() error{inProc, inWorker, inSplit}
		for _, f := range sides { // warm: compile on every side
			if err := f(); err != nil {
				return err
			}
		}
		samples := make([]bench.Sample, len(sides))
		for range n {
			for k, f := range sides {
				s, err := bench.Time("side", 1, f)
				if err != nil {
					return err
				}
				samples[k].Durations = append(samples[k].Durations, s.Durations...)
			}
		}
		bench.WritePair(&b, cs.name, samples[0], samples[1])
		bench.WritePair(&b, cs.name+", worker started by the keeper (split)", samples[0], samples[2])
		overheads = append(overheads, samples[1].Quantile(0.5)-samples[0].Quantile(0.5), samples[2].Quantile(0.5)-samples[0].Quantile(0.5))
	}
	verdict := "met"
	for _, o := range overheads {
		if o > time.Millisecond {
			verdict = "missed"
		}
	}
	fmt.Fprintf(&b, "\nAdded cost per run through a worker (p50 difference): **%s ms** (plain program), **%s ms** (Rocket); with the worker started by the keeper (split, the default): **%s ms** and **%s ms** — target ≤ 1 ms for a cached module: %s.\n",
		bench.Ms(overheads[0]), bench.Ms(overheads[2]), bench.Ms(overheads[1]), bench.Ms(overheads[3]), verdict)
	fmt.Fprintf(&b, "\nResident memory of a worker (VmRSS): %s MiB idle after start, %s MiB after these runs (both modules compiled and kept; %s MiB for the keeper's); its cgroup limit with the defaults is %d MiB.\n",
		mib(idleRSS), mib(rss(pool.Pids()[0])), mib(rss(split.Pids()[0])), pool.MemoryBytes()>>20)
	b.WriteString("The memo does not go through workers or the keeper; it is unchanged (bench/results/service.md).\n")

	// The compile path with the split: the same jailed command straight
	// on the jail (the baseline) and through the keeper (a request
	// with the stub's bytes, its policy check, the answer back).
	compileCmd := jail.Command{Path: m.Rustc, Args: []string{"--version"}}
	direct := func() error { _, err := j.Run(ctx, compileCmd); return err }
	viaKeeper := func() error { _, err := client.Run(ctx, compileCmd); return err }
	var jb, kb bench.Sample
	for range max(n/10, 10) {
		for _, side := range []struct {
			f func() error
			s *bench.Sample
		}{{direct, &jb}, {viaKeeper, &kb}} {
			s, err := bench.Time("compile", 1, side.f)
			if err != nil {
				return err
			}
			side.s.Durations = append(side.s.Durations, s.Durations...)
		}
	}
	b.WriteString("\n## The compile path through the keeper\n\nA jailed `rustc --version` (a whole compile job: cgroup, namespaces, root, exec, teardown) straight on the jail (baseline) and through the keeper as the split front door sends it, interleaved. No cache is involved.\n\n")
	b.WriteString(strings.Replace(bench.PairHeader, "| outside p50 ms | outside p95 ms | jail p50 ms | jail p95 ms |", "| direct p50 ms | direct p95 ms | keeper p50 ms | keeper p95 ms |", 1))
	bench.WritePair(&b, "`rustc --version` in the compile jail", jb, kb)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// keeperPool is a pool of one worker started by a keeper, as the split
// service's front door has: a keeper serving one end of a socketpair
// with this jail, the pool's starter a keeper.Client on the other.
func keeperPool(ctx context.Context, j *jail.Jail, m *toolchain.Manifest, rt wasmrt.Config) (*worker.Pool, *keeper.Client, func(), error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, nil, err
	}
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "keeper")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			return nil, nil, nil, err
		}
		conns[i] = c.(*net.UnixConn)
	}
	res := worker.Resident(worker.DefaultConfig(), rt, compiler.DefaultMaxModuleBytes)
	k := &keeper.Keeper{Policy: keeper.NewPolicy([]string{m.Rustc}, 1<<20, jail.MaxLimits(), res.Entry),
		Jail: j, Starter: worker.InJail(j), Resident: res}
	served := make(chan struct{})
	go func() { k.Serve(ctx, conns[0]); close(served) }()
	stop := func() { conns[1].Close(); <-served }
	client := keeper.NewClient(conns[1])
	pool, err := worker.New(worker.Config{Enabled: true, Count: 1}, rt, compiler.DefaultMaxModuleBytes, client, nil)
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	return pool, client, stop, nil
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
