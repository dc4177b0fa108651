package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

func mib(b int64) string { return fmt.Sprintf("%.0f", float64(b)/(1<<20)) }

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

func p50(s bench.Sample) string {
	if len(s.Durations) == 0 {
		return "—"
	}
	return bench.Ms(s.Quantile(0.5))
}

// densityAt50 is the highest level whose requests were all answered and
// its figures.
func densityBest(ds []densityLevel) (densityLevel, bool) {
	var best densityLevel
	ok := false
	for _, d := range ds {
		if len(d.sample.Durations) > 0 {
			best, ok = d, true
		}
	}
	return best, ok
}

func report(o options, suites []*suiteResult, floors []floor) error {
	m, _ := toolchain.Load(toolchain.DefaultStateDir())
	now := suites[len(suites)-1]
	var before *suiteResult
	if len(suites) > 1 {
		before = suites[0]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Service benchmark\n\nProduced by `make bench` (`go run ./bench/servicebench`) on %s, %d CPUs, %s.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), m.RustcVersion)
	b.WriteString("Latencies are measured by an HTTP client on loopback (on the same 2 cores) against the service binary; they include the HTTP round trip. ")
	fmt.Fprintf(&b, "Throughputs are measured by a minimal keep-alive HTTP/1.1 load generator in the manner of wrk (`load.go`: the same prebuilt request bytes again and again, %d connections); a case's memo hits and `/healthz` run in alternating %s rounds, and its ratio is of those two rates. RSS is the sum of the proportional set sizes (Pss: shared pages divided among the processes sharing them) of the service's processes — with the split, the keeper, the front door and its run workers (one per `max_concurrent` slot, at most two per CPU: `workers.count` 0; the benchmark sets 64 slots for the density case) — and its peak the sum of their VmHWM (an upper bound). ", o.throughputClients, o.throughputRound/2)
	b.WriteString("**Cache state**: each binary starts with an empty state directory — no memoized results, no stored modules, an empty wazero compilation cache. ")
	b.WriteString("*Cold* cases use a stub never seen (memo, module store and wazero caches miss). *Warm* cases say what is warm. ")
	if before != nil {
		fmt.Fprintf(&b, "\"before\" is `%s`, measured the same way in the same run, first; \"now\" is this tree's binary.\n\n", o.baselineName)
	} else {
		b.WriteString("\n\n")
	}

	// The targets.
	col := func(f func(*suiteResult) string) string {
		if before == nil {
			return "— | " + f(now)
		}
		return f(before) + " | " + f(now)
	}
	b.WriteString("## Issue 16's targets\n\n| metric | cache state | target | before | now |\n|---|---|---|---|---|\n")
	for _, short := range []string{"serve", "mock", "hello"} {
		fmt.Fprintf(&b, "| cached module + new args, end to end − guest's `run.duration_ms`, p50 ms (%s) | warm: module stored and compiled by wazero's compiler (after %s of new-args runs) | ≤ 3 | %s |\n",
			short, o.warmFor, col(func(s *suiteResult) string {
				c := s.find(short)
				if c == nil {
					return "—"
				}
				return fmt.Sprintf("%s (guest %s)", p50(c.overhead), p50(c.guest))
			}))
	}
	for _, short := range []string{"hello", "serve-20k", "serve", "mock"} {
		fmt.Fprintf(&b, "| memo-hit ÷ `/healthz` throughput (%s, %d clients) | warm: response memoized in memory | ≥ 0.6 | %s |\n", short, o.throughputClients,
			col(func(s *suiteResult) string {
				c := s.find(short)
				if c == nil || c.healthzRate == 0 {
					return "—"
				}
				return fmt.Sprintf("%.2f (%.0f ÷ %.0f req/s; %.1f KiB)", c.hitRate/c.healthzRate, c.hitRate, c.healthzRate, float64(c.hitBytes)/1024)
			}))
	}
	fmt.Fprintf(&b, "| service RSS idle after start, MiB | empty caches | ≤ 120 | %s |\n", col(func(s *suiteResult) string {
		m := s.idleMem
		if len(m.workers) <= 2 {
			return mib(s.idleRSS)
		}
		return fmt.Sprintf("%s (%d idle run workers %s; with 2: %s)", mib(s.idleRSS), len(m.workers), mib(sum(m.workers)),
			mib(m.keeper+m.frontDoor+m.others+m.workers[0]+m.workers[1]))
	}))
	fmt.Fprintf(&b, "| service RSS after the benchmark (peak), MiB | every case above run | ≤ 400 | %s |\n",
		col(func(s *suiteResult) string { return mib(s.endRSS) + " (" + mib(s.endHWM) + ")" }))
	fmt.Fprintf(&b, "| … by process, MiB | every case above run | — | %s |\n", col(func(s *suiteResult) string {
		m := s.endMem
		if len(m.workers) == 0 {
			return fmt.Sprintf("one process: %s", mib(m.keeper))
		}
		largest := m.workers[0]
		if len(m.workers) > 1 {
			largest += m.workers[1]
		}
		return fmt.Sprintf("keeper %s, front door %s, %d run workers %s (the two largest %s + %s; wazero's machine code in all %s), other %s; with 2 workers (the default `max_concurrent` on 2 cores): %s",
			mib(m.keeper), mib(m.frontDoor), len(m.workers), mib(sum(m.workers)), mib(m.workers[0]), mib(largest-m.workers[0]), mib(m.code), mib(m.others),
			mib(m.keeper+m.frontDoor+m.others+largest))
	}))
	def := config.Default()
	fmt.Fprintf(&b, "| what the caches' memory tiers hold after the benchmark, MiB (budget) | every case above run | — | %s |\n",
		col(func(s *suiteResult) string {
			if len(s.cacheBytes) == 0 {
				return "—"
			}
			wasm := fmt.Sprintf("%d per backend", def.Runtime.CompiledModulesBytes>>20)
			if n := len(s.endMem.workers); n > 0 {
				// Under the split each worker has its own budget.
				wasm = fmt.Sprintf("%d workers × %d per backend", n, def.Workers.CompiledModulesBytes>>20)
			}
			return fmt.Sprintf("results %s (%d), modules %s (%d), wasm compiled modules %s (%s)",
				mib(s.cacheBytes["result"]), def.Cache.Results.MemoryMB, mib(s.cacheBytes["module"]), def.Cache.Modules.MemoryMB,
				mib(s.cacheBytes["wasm"]), wasm)
		}))
	for _, fl := range floors {
		fmt.Fprintf(&b, "| cold new %s end to end ÷ bare compile+link of the same main.rs (p50; floor %s ms) | cold | %s | %s |\n",
			fl.w.name, p50(fl.sample), map[string]string{"serve": "≤ 1.15×, absolute halved (3.6 s)", "hello": "≤ 1.25× (issue 2)"}[fl.w.short],
			col(func(s *suiteResult) string {
				c := s.find(fl.w.short)
				if c == nil {
					return "—"
				}
				return fmt.Sprintf("%.2f× (%s ms)", float64(c.worst.Quantile(0.5))/float64(fl.sample.Quantile(0.5)), p50(c.worst))
			}))
	}
	fmt.Fprintf(&b, "| concurrent cached runs (serve, new args): highest level measured, its p95 ms, peak RSS per run MiB | warm | ≥ 50, ≤ 64 MiB each | %s |\n",
		col(func(s *suiteResult) string {
			d, ok := densityBest(s.density)
			if !ok {
				return "—"
			}
			return fmt.Sprintf("%d at once: p95 %s ms, %.1f MiB/run", d.concurrency, bench.Ms(d.sample.Quantile(0.95)), float64(d.peakRSSPerRun)/(1<<20))
		}))

	for _, s := range suites {
		fmt.Fprintf(&b, "\n## All cases: %s\n\n| program | case | cache state | runs | p50 ms | p95 ms | p99 ms | throughput req/s |\n|---|---|---|---|---|---|---|---|\n", s.label)
		fmt.Fprintf(&b, "| `/healthz` | no-op request | — | — | — | — | — | %.0f (%d clients) |\n", s.healthz, o.throughputClients)
		for _, c := range s.cases {
			row := func(scenario, state string, sm bench.Sample, tput string) {
				if len(sm.Durations) == 0 {
					return
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | %s | %s |\n", c.w.name, scenario, state, len(sm.Durations),
					bench.Ms(sm.Quantile(0.5)), bench.Ms(sm.Quantile(0.95)), bench.Ms(sm.Quantile(0.99)), tput)
			}
			row("ideal: memoized hit", "warm: memo (memory)", c.ideal, fmt.Sprintf("%.0f (%d clients; %d B; `/healthz` %.0f in the alternating rounds)", c.hitRate, o.throughputClients, c.hitBytes, c.healthzRate))
			row("first runs after the compile, new args", "module stored; wazero compiling it", c.firstRuns, "")
			row("average: cached module, new args", "warm: module stored and compiled", c.average, "")
			row("… of which the guest's run.duration_ms", "", c.guest, "")
			row("… end to end − guest", "", c.overhead, "")
			row("worst: new stub, cold compile", "cold", c.worst, "")
		}
		fmt.Fprintf(&b, "\n### Density (%s): concurrent runs of a cached module (mid-size app, serve, new args each; warm)\n\n| concurrent | requests | p50 ms | p95 ms | throughput req/s | RSS before MiB | peak RSS MiB | peak RSS per run MiB |\n|---|---|---|---|---|---|---|---|\n", s.label)
		for _, d := range s.density {
			fmt.Fprintf(&b, "| %d | %d | %s | %s | %.1f | %s | %s | %.1f |\n", d.concurrency, len(d.sample.Durations),
				bench.Ms(d.sample.Quantile(0.5)), bench.Ms(d.sample.Quantile(0.95)), d.throughput,
				mib(d.idleRSS), mib(d.peakRSS), float64(d.peakRSSPerRun)/(1<<20))
		}
	}
	b.WriteString("\n## Floors: bare compile+link outside the jail and the service\n\n| main.rs of | runs | p50 ms | p95 ms |\n|---|---|---|---|\n")
	for _, fl := range floors {
		fmt.Fprintf(&b, "| %s | %d | %s | %s |\n", fl.w.name, len(fl.sample.Durations), p50(fl.sample), bench.Ms(fl.sample.Quantile(0.95)))
	}

	if now.cases != nil && now.cases[0].hitCPU != nil {
		writeProfiles(&b, now)
	}

	var bars []bench.Bar
	for _, s := range suites {
		for _, c := range s.cases {
			if c.w.hitsOnly {
				continue
			}
			add := func(group string, sm bench.Sample) {
				if len(sm.Durations) > 0 {
					bars = append(bars, bench.Bar{Group: group, Label: s.label + ": " + c.w.short, Ms: float64(sm.Quantile(0.5).Microseconds()) / 1000})
				}
			}
			add("average − guest", c.overhead)
			add("worst", c.worst)
		}
	}
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return err
	}
	b.WriteString("\n![p50 latencies](service.png)\n")
	if err := bench.WriteBarChart(filepath.Join(o.outDir, "service.png"), "rocket-sandbox p50 ms: overhead around a cached run, cold compile", bars); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(filepath.Join(o.outDir, "service.md"), []byte(b.String()), 0o644)
}

// writeProfiles summarizes the pprof profiles of the current binary:
// where one request's CPU goes, by step, per case; the flat top; the heap.
func writeProfiles(b *strings.Builder, s *suiteResult) {
	b.WriteString("\n## Profiles (now): CPU of one request by step\n\n")
	b.WriteString("pprof CPU profiles of the service (all goroutines, background compiles included) while one client sent requests of a case for the profiled time (memo hits and `/healthz`: 16 clients, as in the throughput rounds); each sample is attributed to the innermost step on its stack; ms are CPU ms per request (samples ÷ requests). Raw profiles: `bench/results/profiles/*.pb.gz` (`go tool pprof -top FILE`).\n\n")
	var bds []*phaseBreakdown
	if s.healthzCPU != nil {
		bds = append(bds, s.healthzCPU)
	}
	for _, c := range s.cases {
		if c.cpu != nil {
			bds = append(bds, c.cpu)
		}
		if c.hitCPU != nil {
			bds = append(bds, c.hitCPU)
		}
	}
	b.WriteString("| step |")
	for _, bd := range bds {
		fmt.Fprintf(b, " %s |", bd.name)
	}
	b.WriteString("\n|---|")
	for range bds {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	names := []string{}
	for _, ph := range phases {
		names = append(names, ph.name)
	}
	names = append(names, otherPhase)
	for _, n := range names {
		fmt.Fprintf(b, "| %s |", n)
		for _, bd := range bds {
			fmt.Fprintf(b, " %s |", bd.perRequest(bd.by[n]))
		}
		b.WriteString("\n")
	}
	b.WriteString("| **total CPU ms per request** |")
	for _, bd := range bds {
		fmt.Fprintf(b, " **%s** |", bd.perRequest(bd.total))
	}
	b.WriteString("\n| requests profiled |")
	for _, bd := range bds {
		fmt.Fprintf(b, " %d |", bd.requests)
	}
	b.WriteString("\n\n### Flat CPU top (leaf functions) per case\n\n")
	for _, bd := range bds {
		fmt.Fprintf(b, "- **%s**:", bd.name)
		for _, f := range top(bd.leaves, 8) {
			fmt.Fprintf(b, " `%s` %.0f%%;", f, 100*float64(bd.leaves[f])/float64(max(bd.total, 1)))
		}
		if len(bd.others) > 0 {
			b.WriteString(" — unattributed top:")
			for _, f := range top(bd.others, 4) {
				fmt.Fprintf(b, " `%s` %.0f%%;", f, 100*float64(bd.others[f])/float64(max(bd.total, 1)))
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\n### In-use heap after each case (Go heap only; wazero's compiled code is mapped outside it)\n\n")
	for _, c := range s.cases {
		if c.heap == nil {
			continue
		}
		fmt.Fprintf(b, "- **%s** (%s MiB in use):", c.w.short, mib(c.heapTotal))
		for _, h := range c.heap {
			fmt.Fprintf(b, " `%s` %s MiB;", h.site, mib(h.bytes))
		}
		b.WriteString("\n")
	}
}
