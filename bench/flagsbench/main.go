// Command flagsbench measures the stub-compile settings the compiler can
// choose — opt-level, codegen-units, the linker's optimization — on the
// benchmark programs: compile+link time (through jail.Host, so the jail's
// constant overhead is left out), module size, and the module's run time
// in wazero's compiler and interpreter. It writes
// bench/results/compile-flags.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

type setting struct {
	name string
	cfg  compiler.Config
}

func main() {
	n := flag.Int("n", 3, "compiles per setting and program")
	runs := flag.Int("runs", 10, "runs of each module per engine")
	out := flag.String("out", "bench/results/compile-flags.md", "markdown output")
	flag.Parse()
	if err := run(*n, *runs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "flagsbench:", err)
		os.Exit(1)
	}
}

func run(n, runs int, out string) error {
	ctx := context.Background()
	m, err := toolchain.Load(toolchain.DefaultStateDir())
	if err != nil {
		return err
	}
	settings := []setting{
		// Every compile is incremental (from an empty directory here).
		{"opt-level=0, codegen-units=16, lld -O0 (default)", compiler.Config{OptLevel: "0", CodegenUnits: 16, LinkerOptLevel: "0"}},
		{"opt-level=0, codegen-units=1", compiler.Config{OptLevel: "0", CodegenUnits: 1}},
		{"opt-level=0, codegen-units=1, lld -O2 (lld's default)", compiler.Config{OptLevel: "0", CodegenUnits: 1, LinkerOptLevel: "2"}},
		{"opt-level=1, codegen-units=1", compiler.Config{OptLevel: "1", CodegenUnits: 1}},
		{"opt-level=1, codegen-units=16", compiler.Config{OptLevel: "1", CodegenUnits: 16}},
		{"opt-level=s, codegen-units=1", compiler.Config{OptLevel: "s", CodegenUnits: 1}},
	}
	engines := map[string]*wasmrt.Engine{}
	for _, kind := range []wasmrt.EngineKind{wasmrt.EngineCompiler, wasmrt.EngineInterpreter} {
		e, err := wasmrt.New(ctx, wasmrt.Config{Engine: kind})
		if err != nil {
			return err
		}
		defer e.Close(ctx)
		engines[string(kind)] = e
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Stub compile settings\n\nProduced by `make bench-flags` (`go run ./bench/flagsbench`) on %s, %d CPUs, %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), m.RustcVersion)
	b.WriteString("Compile = rustc + rust-lld through `jail.Host` (no jail), prepared dependencies at opt-level 2. Run = instantiate to exit of the module (hello: the local client dispatches one request), after one warm-up run. Baseline for the ratios: the default setting, measured in the same run.\n\n")
	b.WriteString("| program | setting | compile p50 ms | compile p95 ms | ratio | module KiB | run p50 ms (compiler) | run p50 ms (interpreter) |\n|---|---|---|---|---|---|---|---|\n")
	for _, prog := range []string{"hello.rs"} {
		// The end-to-end tests' hello-world, so the two never drift.
		src, err := os.ReadFile(filepath.Join("testdata", "e2e", prog))
		if err != nil {
			return err
		}
		var base time.Duration
		for _, st := range settings {
			c := compiler.New(m, m.Wasm(), &jail.Host{}, st.cfg)
			var module []byte
			sample, err := bench.Time(st.name, n, func() error {
				o, err := c.Compile(ctx, compiler.Input{Source: src})
				if err == nil && !o.Success {
					err = fmt.Errorf("compile failed: %s", o.Stderr)
				}
				module = o.Module
				return err
			})
			if err != nil {
				return err
			}
			if base == 0 {
				base = sample.Quantile(0.5)
			}
			runP50 := map[string]string{}
			for kind, e := range engines {
				job := wasmrt.Job{Module: module}
				if _, err := e.Run(ctx, job); err != nil { // warm: compile the module
					return err
				}
				rs, err := bench.Time(kind, runs, func() error {
					r, err := e.Run(ctx, job)
					if err == nil && !r.Succeeded() {
						err = fmt.Errorf("run failed: %s %s", r.Trap, r.Stderr)
					}
					return err
				})
				if err != nil {
					return err
				}
				runP50[kind] = bench.Ms(rs.Quantile(0.5))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %.2f× | %d | %s | %s |\n", prog, st.name, bench.Ms(sample.Quantile(0.5)), bench.Ms(sample.Quantile(0.95)),
				float64(sample.Quantile(0.5))/float64(base), len(module)/1024, runP50["compiler"], runP50["interpreter"])
			fmt.Fprintf(os.Stderr, "[flags] %s %s: %s ms\n", prog, st.name, bench.Ms(sample.Quantile(0.5)))
		}
	}
	b.WriteString("\nThe dependencies are built with `-Z share-generics=yes` at set-up (trusted), so every setting here reuses their generic instances. Not measured per stub: `-Zthreads` needs `RUSTC_BOOTSTRAP=1` in the compiler's environment, which would unlock unstable features to untrusted stubs (see docs/security.md); incremental compilation needs a per-stub cache directory that outlives the job, which the jail's throwaway work dir does not offer, and a new stub has nothing to reuse anyway.\n")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(out, []byte(b.String()), 0o644)
}
