// Command jailbench measures the compile jail's own overhead: the same
// commands run through jail.Host (no isolation: the baseline) and through
// the jail, interleaved in one run, on this machine. It writes
// bench/results/jail-overhead.md.
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
	jail.MaybeInit()
	n := flag.Int("n", 30, "runs of the trivial command per runner")
	compiles := flag.Int("compiles", 5, "runs of the hello-world compile per runner")
	out := flag.String("out", "bench/results/jail-overhead.md", "markdown output")
	hello := flag.String("hello", "testdata/e2e/hello.rs", "hello-world stub")
	flag.Parse()
	if err := run(*n, *compiles, *out, *hello); err != nil {
		fmt.Fprintln(os.Stderr, "jailbench:", err)
		os.Exit(1)
	}
}

func run(n, compiles int, out, helloPath string) error {
	ctx := context.Background()
	m, err := toolchain.Load(toolchain.DefaultStateDir())
	if err != nil {
		return err
	}
	// Its own instance, like the service, so nothing else's recovery
	// touches these jobs.
	j, err := jail.New(jail.Policy{ReadOnlyPaths: m.ReadOnlyPaths()}.ForInstance(os.Getpid()))
	if err != nil {
		return err
	}
	defer j.Close()
	host := &jail.Host{}
	src, err := os.ReadFile(helloPath)
	if err != nil {
		return err
	}

	version := jail.Command{Path: m.Rustc, Args: []string{"--version"}, Env: []string{}}
	runOK := func(r compiler.Runner, cmd jail.Command) func() error {
		return func() error {
			res, err := r.Run(ctx, cmd)
			if err == nil && res.ExitCode != 0 {
				err = fmt.Errorf("exit %d: %s", res.ExitCode, res.Stderr)
			}
			return err
		}
	}
	compileOK := func(r compiler.Runner) func() error {
		c := compiler.New(m, m.Wasm(), r, compiler.Config{})
		return func() error {
			o, err := c.Compile(ctx, compiler.Input{Source: src})
			if err == nil && !o.Success {
				err = fmt.Errorf("compile failed: %s", o.Stderr)
			}
			return err
		}
	}
	// Warm both paths once (page cache, cgroup hierarchy).
	for _, f := range []func() error{runOK(host, version), runOK(j, version)} {
		if err := f(); err != nil {
			return err
		}
	}
	// Interleave runner by runner so drift on a noisy machine hits both.
	var hostV, jailV, hostC, jailC bench.Sample
	hostV.Name, jailV.Name = "host", "jail"
	for i := 0; i < n; i++ {
		for _, p := range []struct {
			s *bench.Sample
			f func() error
		}{{&hostV, runOK(host, version)}, {&jailV, runOK(j, version)}} {
			s, err := bench.Time(p.s.Name, 1, p.f)
			if err != nil {
				return err
			}
			p.s.Durations = append(p.s.Durations, s.Durations...)
		}
	}
	for i := 0; i < compiles; i++ {
		for _, p := range []struct {
			s *bench.Sample
			f func() error
		}{{&hostC, compileOK(host)}, {&jailC, compileOK(j)}} {
			s, err := bench.Time("compile", 1, p.f)
			if err != nil {
				return err
			}
			p.s.Durations = append(p.s.Durations, s.Durations...)
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "# Compile jail overhead\n\nProduced by `make bench-jail` (`go run ./bench/jailbench`) on %s, %d CPUs, %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), m.RustcVersion)
	b.WriteString("Baseline: the same command through `jail.Host` (plain fork/exec with the same clean environment, work dir and output capture, no isolation), interleaved with the jailed runs.\n\n")
	b.WriteString(bench.PairHeader)
	bench.WritePair(&b, "`rustc --version`", hostV, jailV)
	bench.WritePair(&b, "hello-world compile (Rocket, to wasm)", hostC, jailC)
	overhead := jailV.Quantile(0.5) - hostV.Quantile(0.5)
	verdict := "met"
	if overhead > 50*time.Millisecond {
		verdict = "missed"
	}
	fmt.Fprintf(&b, "\nJail set-up + tear-down per job (p50 difference on `rustc --version`): **%s ms** — target < 50 ms: %s.\n", bench.Ms(overhead), verdict)
	b.WriteString("The compile row's difference also includes the jail's CPU quota (one CPU per job by default) against rustc's parallel codegen outside it.\n")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(out, []byte(b.String()), 0o644)
}
