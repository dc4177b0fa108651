// Command summary writes bench/results/issue16.md: issue 16's table of
// targets from one `make bench` run, read from the files that run wrote
// (service.md, native-vs-wasm.md, edit-run.md), beside the figures of
// the previous run as committed at -previous (a git revision). Each
// figure keeps its source's wording: the cache state, what was measured
// and the baseline measured in the same run.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// row is one target: where its figure is, and how it is found there.
type row struct {
	metric, target, state string
	file                  string // under bench/results
	prefix                string // the line that holds it starts so
	// cells picks the figure out of the line's table cells (nil: the
	// line itself, a sentence).
	cells func([]string) (before, now string)
}

// beforeNow takes a target row of service.md: ... | before | now |.
func beforeNow(c []string) (string, string) {
	if len(c) < 2 {
		return "", ""
	}
	return c[len(c)-2], c[len(c)-1]
}

// lastCells takes a row of a plain table: its p50 and ratio.
func lastCells(c []string) (string, string) {
	if len(c) < 5 {
		return "", ""
	}
	return "", c[2] + " ms p50, " + c[len(c)-1]
}

var rows = []row{
	{"cached module + new args, end to end − guest's `run.duration_ms`, p50 ms (serve)", "≤ 3 ms", "warm: module stored and compiled", "service.md",
		"| cached module + new args, end to end − guest's `run.duration_ms`, p50 ms (serve)", beforeNow},
	{"… (mock)", "≤ 3 ms", "warm: module stored and compiled", "service.md",
		"| cached module + new args, end to end − guest's `run.duration_ms`, p50 ms (mock)", beforeNow},
	{"memo-hit ÷ `/healthz` throughput (hello-world)", "≥ 0.6", "warm: memo in memory", "service.md",
		"| memo-hit ÷ `/healthz` throughput (hello,", beforeNow},
	{"memo-hit ÷ `/healthz` throughput (serve, ~20 KiB answer)", "≥ 0.6", "warm: memo in memory", "service.md",
		"| memo-hit ÷ `/healthz` throughput (serve-20k,", beforeNow},
	{"wasm ÷ native per dispatched request", "≤ 3×", "warm: compiled module in memory", "native-vs-wasm.md", "", nil},
	{"service memory idle after start: Σ Pss, MiB", "≤ 120", "empty caches", "service.md", "| service RSS idle after start, MiB", beforeNow},
	{"service memory after the benchmark: Σ Pss (Σ VmHWM), MiB", "≤ 400", "every case run", "service.md", "| service RSS after the benchmark (peak), MiB", beforeNow},
	{"… by process (Pss), MiB", "—", "every case run", "service.md", "| … by process, MiB", beforeNow},
	{"what the caches' memory tiers hold then, MiB (budget)", "counted", "every case run", "service.md", "| what the caches' memory tiers hold after the benchmark", beforeNow},
	{"cold new mid-size app (serve) ÷ bare compile+link (service bench)", "≤ 1.15×, 3.6 s halved", "cold", "service.md", "| cold new mid-size app (serve, 3 requests)", beforeNow},
	{"cold new mid-size app ÷ bare compile+link (edit bench)", "≤ 1.15×, 3.6 s halved", "cold", "edit-run.md", "| **service, cold new app, end to end** |", lastCells},
	{"edit → Run (Rocket's hello, one string changed) ÷ local incremental `cargo build`", "≤ 1.0×", "warm: the session's incremental directory", "edit-run.md",
		"| **service, edit with a session (warm incremental directory), end to end** |", lastCells},
	{"concurrent cached runs (serve, new args)", "≥ 50, ≤ 64 MiB each", "warm", "service.md", "| concurrent cached runs", beforeNow},
}

func main() {
	dir := flag.String("results", "bench/results", "where the run wrote its results")
	previous := flag.String("previous", "", "git revision whose committed bench/results are the previous figures")
	out := flag.String("out", "bench/results/issue16.md", "markdown output")
	flag.Parse()
	if err := run(*dir, *previous, *out); err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
}

func run(dir, previous, out string) error {
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	old := func(name string) string {
		if previous == "" {
			return ""
		}
		b, _ := exec.Command("git", "show", previous+":"+filepath.ToSlash(filepath.Join(dir, name))).Output()
		return string(b)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Issue 16: the targets, from one `make bench` run\n\nWritten by `go run ./bench/summary` (`make bench-summary`) at the end of `make bench` on %s, from what that run wrote in `bench/results/` (each figure as its file states it: the cache state, the baseline measured in the same run). "+
		"**before** is the service benchmark's baseline binary (the commit before issue 16), measured in the same run; **previous** is the figure committed at `%s` (the previous round's run). Full tables: `service.md`, `native-vs-wasm.md`, `edit-run.md`.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), previous)
	b.WriteString("| metric | target | cache state | previous | before (same run) | now |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		prevText, nowText := old(r.file), read(r.file)
		var prevFig, before, now string
		if r.cells == nil {
			prevFig, now = perRequest(prevText), perRequest(nowText)
		} else {
			_, prevFig = r.cells(cells(find(prevText, r.prefix)))
			before, now = r.cells(cells(find(nowText, r.prefix)))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.metric, r.target, r.state, orDash(prevFig), orDash(before), orDash(now))
	}
	fmt.Print(b.String())
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

// find is the first line of text that starts with prefix.
func find(text, prefix string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// cells are a table line's cells, trimmed.
func cells(line string) []string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") {
		return nil
	}
	parts := strings.Split(strings.Trim(line, "|"), "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// perRequest is native-vs-wasm.md's sentence on the cost per request
// (this run's wording or the previous one's).
func perRequest(text string) string {
	for _, prefix := range []string{"**Per dispatched request**", "Per request"} {
		if line := find(text, prefix); line != "" {
			s, _, _ := strings.Cut(line, " Ignite alone")
			return s
		}
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
