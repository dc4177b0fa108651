// Command profilebench measures what growing the dependency profile costs
// a stub: the cold compile+link of the end-to-end tests' hello-world (and
// any other programs named) against two prepared state directories — the
// profile before a change (-base) and after it (-with) — alternating
// between them in one run, so both see the same machine. It writes a
// markdown table with p50/p95 and the ratio with/base.
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
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

func main() {
	base := flag.String("base", "", "state dir of the profile before the change")
	with := flag.String("with", toolchain.DefaultStateDir(), "state dir of the profile after the change")
	n := flag.Int("n", 10, "compiles per program and profile")
	out := flag.String("out", "", "markdown output (default: stdout only)")
	flag.Parse()
	if *base == "" {
		fmt.Fprintln(os.Stderr, "profilebench: -base is required")
		os.Exit(2)
	}
	if err := run(*base, *with, *n, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "profilebench:", err)
		os.Exit(1)
	}
}

func run(baseDir, withDir string, n int, out string, programs []string) error {
	if len(programs) == 0 {
		programs = []string{"testdata/e2e/hello.rs"}
	}
	ctx := context.Background()
	var compilers [2]*compiler.Compiler
	var externs [2]int
	for i, dir := range []string{baseDir, withDir} {
		m, err := toolchain.Load(dir)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		// The service's compile settings; jail.Host leaves the jail's
		// constant overhead out of both sides.
		compilers[i] = compiler.New(m, m.Wasm(), &jail.Host{}, compiler.Config{})
		externs[i] = len(m.Externs)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Produced by `go run ./bench/profilebench -base %s -with %s -n %d` on %s, %d CPUs.\n",
		baseDir, withDir, n, time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU())
	fmt.Fprintf(&b, "Cold = rustc + rust-lld of a new stub, no memo (jail.Host: the jail's constant cost left out); one warm-up compile each first (page cache warm on the rlibs). The two profiles alternate, compile by compile. Externs: base %d, with %d.\n\n", externs[0], externs[1])
	b.WriteString("| program | base p50 ms | base p95 ms | with p50 ms | with p95 ms | with ÷ base (p50) |\n|---|---|---|---|---|---|\n")
	for _, prog := range programs {
		src, err := os.ReadFile(prog)
		if err != nil {
			return err
		}
		compile := func(c *compiler.Compiler) (time.Duration, error) {
			start := time.Now()
			o, err := c.Compile(ctx, compiler.Input{Source: src})
			if err == nil && !o.Success {
				err = fmt.Errorf("%s: compile failed: %s", prog, o.Stderr)
			}
			return time.Since(start), err
		}
		for _, c := range compilers {
			if _, err := compile(c); err != nil {
				return err
			}
		}
		var samples [2]bench.Sample
		for i := 0; i < n; i++ {
			for k, c := range compilers {
				d, err := compile(c)
				if err != nil {
					return err
				}
				samples[k].Durations = append(samples[k].Durations, d)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.2f× |\n", filepath.Base(prog),
			bench.Ms(samples[0].Quantile(0.5)), bench.Ms(samples[0].Quantile(0.95)),
			bench.Ms(samples[1].Quantile(0.5)), bench.Ms(samples[1].Quantile(0.95)),
			float64(samples[1].Quantile(0.5))/float64(samples[0].Quantile(0.5)))
	}
	fmt.Print(b.String())
	if out == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}
