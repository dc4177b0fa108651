// Command nativebench compares executing the same Rocket program natively
// (x86_64, the native build of the dependency profile) and as wasm in
// wazero: Rocket's ignite plus 0, 1, 10 and 100 requests dispatched
// through the local client. Times are taken from outside the program (the
// guest's clock is virtual): the native process's wall time, and the wasm
// run's instantiate-to-exit time on warm compiled code. It writes
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
	"strconv"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/runtime/native"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

func main() {
	reps := flag.Int("n", 7, "runs per case")
	out := flag.String("out", "bench/results/native-vs-wasm.md", "markdown output")
	program := flag.String("program", "bench/programs/dispatch.rs", "the workload")
	flag.Parse()
	if err := run(*reps, *out, *program); err != nil {
		fmt.Fprintln(os.Stderr, "nativebench:", err)
		os.Exit(1)
	}
}

func run(reps int, out, program string) error {
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
	engine, err := wasmrt.New(ctx, wasmrt.Config{Engine: wasmrt.EngineCompiler})
	if err != nil {
		return err
	}
	defer engine.Close(ctx)

	var b strings.Builder
	fmt.Fprintf(&b, "# Native vs wasm execution\n\nProduced by `make bench-native` (`go run ./bench/nativebench`) on %s, %d CPUs, %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), m.RustcVersion)
	b.WriteString("Workload: `bench/programs/dispatch.rs` — build a Rocket app, ignite it with a tracked local client, dispatch N requests (GET with path params, GET with arithmetic, POST JSON echo). Both builds use the service's stub settings (opt-level 0, dependencies at opt-level 2). Native: the process's wall time (includes exec and process start). Wasm: wazero's compiled code, warm (module compiled once before), instantiate to exit. Baseline: native, measured in the same run.\n\n")
	b.WriteString("| N requests | native p50 ms | native p95 ms | wasm p50 ms | wasm p95 ms | wasm / native (p50) |\n|---|---|---|---|---|---|\n")
	type point struct{ native, wasm time.Duration }
	points := map[int]point{}
	for _, n := range []int{0, 1, 10, 100} {
		stdin := []byte(strconv.Itoa(n))
		if _, err := engine.Run(ctx, wasmrt.Job{Module: wasmOut.Module, Stdin: stdin}); err != nil { // warm
			return err
		}
		nat, err := bench.Time("native", reps, func() error {
			cmd := exec.Command(exe)
			cmd.Stdin = bytes.NewReader(stdin)
			cmd.Env = native.Env()
			outb, err := cmd.Output()
			if err == nil && !strings.Contains(string(outb), strconv.Itoa(n)+" requests") {
				err = fmt.Errorf("native output %q", outb)
			}
			return err
		})
		if err != nil {
			return err
		}
		var wasm bench.Sample
		for i := 0; i < reps; i++ {
			r, err := engine.Run(ctx, wasmrt.Job{Module: wasmOut.Module, Stdin: stdin})
			if err != nil {
				return err
			}
			if !r.Succeeded() || !strings.Contains(string(r.Stdout), strconv.Itoa(n)+" requests") {
				return fmt.Errorf("wasm run: %s %s %s", r.Stdout, r.Stderr, r.Trap)
			}
			wasm.Durations = append(wasm.Durations, r.Duration)
		}
		points[n] = point{nat.Quantile(0.5), wasm.Quantile(0.5)}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | %.2f× |\n", n, bench.Ms(nat.Quantile(0.5)), bench.Ms(nat.Quantile(0.95)),
			bench.Ms(wasm.Quantile(0.5)), bench.Ms(wasm.Quantile(0.95)), float64(wasm.Quantile(0.5))/float64(nat.Quantile(0.5)))
	}
	perNative := (points[100].native - points[0].native) / 100
	perWasm := (points[100].wasm - points[0].wasm) / 100
	fmt.Fprintf(&b, "\nPer request (from N=0 to N=100): native %s ms, wasm %s ms: **%.2f×** (target ≤ 2×). Ignite alone (N=0): %.2f×.\n",
		bench.Ms(perNative), bench.Ms(perWasm), float64(perWasm)/float64(perNative), float64(points[0].wasm)/float64(points[0].native))
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(out, []byte(b.String()), 0o644)
}
