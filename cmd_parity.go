package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/cargoref"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/parity"
)

// cmdParity puts documentation blocks through the example harness in the
// sandbox and through the reference of record, real `cargo test --doc`,
// prints the table and fails when too few outcomes agree: every ```rust
// block of a guide (all must agree), or with --crate a crate's own API
// doctests (at least --min-same percent).
func cmdParity(ctx context.Context, argv []string) error {
	fs := flag.NewFlagSet("parity", flag.ContinueOnError)
	guide := fs.String("guide", filepath.Join("..", "shared", "rocket-guide"), "directory of markdown chapters")
	crate := fs.String("crate", "", "instead of a guide, a crate's API doctests: its source dir, or a name-version (rocket-0.5.1) found in the reference's cargo registry")
	features := fs.String("features", "", "with --crate: the crate's features for cargo test --doc (comma-separated)")
	minSame := fs.Float64("min-same", 98, "with --crate: the percentage of blocks that must agree")
	reference := fs.String("reference", "cargo", "cargo (cargo test --doc, the reference of record) or native (the in-process native build; guide only)")
	out := fs.String("out", "", "also write the markdown report here")
	limit := fs.Int("limit", 0, "only the first N blocks (0: all)")
	every := fs.Int("every", 1, "only every Nth block (a representative subset)")
	configPath := fs.String("config", "", "JSON config file")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	if *every < 1 {
		return errors.New("--every must be at least 1")
	}
	if *reference != "cargo" && *reference != "native" {
		return fmt.Errorf("--reference must be cargo or native, not %q", *reference)
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	ref := cargoref.Config{SourceDir: ".", Dir: cargoref.Dir(cfg.StateDir), Log: os.Stderr}

	var blocks []parity.Block
	var corpus string
	if *crate != "" {
		if *crate, err = crateDir(ref.Dir, *crate); err != nil {
			return err
		}
		blocks, err = parity.ExtractCrate(*crate)
		corpus = "the crate's API documentation (" + filepath.Base(*crate) + ")"
	} else {
		blocks, err = parity.Extract(*guide)
		corpus = "the guide"
	}
	if err != nil {
		return err
	}
	if len(blocks) == 0 {
		return errors.New("no code blocks found")
	}
	var picked []parity.Block
	for i, b := range blocks {
		if i%*every == 0 {
			picked = append(picked, b)
		}
	}
	if *limit > 0 && len(picked) > *limit {
		picked = picked[:*limit]
	}

	var judge parity.Reference
	var cached int
	var run cargoref.CrateRun
	switch {
	case *reference == "native" && *crate != "":
		return errors.New("--reference native judges guide blocks only; a crate's doctests need cargo")
	case *reference == "native":
		svc, err := app.Reference(cfg)
		if err != nil {
			return err
		}
		judge = parity.PerBlock{Executor: svc}
	case *crate != "":
		judge = parity.CrateDoctests{Config: ref, Src: *crate, Features: splitList(*features), Run: &run}
	default:
		judge = parity.Cargo{Config: ref, Cached: &cached}
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())

	start := time.Now()
	rows := parity.Run(ctx, picked, a.Service(), judge, func(i int, b parity.Block, v parity.Verdict) {
		fmt.Fprintf(os.Stderr, "[parity %d/%d] %s:%d %s: sandbox %s (%.1fs)\n", i+1, len(picked), b.File, b.Line, b.Attrs, v.Outcome, v.Took.Seconds())
	})
	took := time.Since(start)
	var report string
	if *crate != "" {
		report = crateReport(rows, len(blocks), took, *crate, *features, run)
	} else {
		how := fmt.Sprintf("natively by real `cargo test --doc` (Debian's cargo and rustdoc, `/usr/bin/cargo` with RUSTC=/usr/bin/rustc, RUSTDOC=/usr/bin/rustdoc): each block the doc comment of a module of a generated crate named `rocket_docs_tests` with the dependency profile's dependencies and harnesses/Cargo.lock's versions, so rustdoc decides ignore, no_run, should_panic, compile_fail, hidden lines and the edition (%d of %d verdicts from the reference's cache, keyed by input digest)", cached, len(picked))
		if *reference == "native" {
			how = "natively by the in-process reference (the same harness and dependency profile built for the host with our own rustc command line, no jail) — not the reference of record"
		}
		report = fmt.Sprintf("# Guide parity\n\nProduced by `make parity` (`rocket-sandbox parity`) on %s, %d CPUs: every ```rust block of %s through the `example` harness in the sandbox (jail + wasm32-wasip1 + wazero), and judged %s. Outcomes: passed (libtest's ok), failed (FAILED), ignored.\n\n",
			time.Now().UTC().Format("2006-01-02 15:04 UTC"), goruntime.NumCPU(), *guide, how) + parity.Table(rows, len(blocks), took, corpus)
	}
	fmt.Print(report)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	same := 0
	for _, r := range rows {
		if r.Same() {
			same++
		}
	}
	if *crate != "" {
		same, judged := parity.CrateScore(rows)
		if pct := 100 * float64(same) / float64(judged); pct < *minSame {
			return fmt.Errorf("parity: %.1f%% of blocks agree, below --min-same %.0f%%", pct, *minSame)
		}
		return nil
	}
	if same != len(rows) {
		return errors.New("parity: the sandbox and cargo disagree on some blocks")
	}
	return nil
}

// crateDir is dir if it is a directory, else the crate of that
// name-version in the reference's cargo registry (set-up downloads
// rocket-0.5.1 there).
func crateDir(refDir, crate string) (string, error) {
	if st, err := os.Stat(crate); err == nil && st.IsDir() {
		return crate, nil
	}
	matches, _ := filepath.Glob(filepath.Join(refDir, "cargo-home", "registry", "src", "*", crate))
	if len(matches) == 0 {
		return "", fmt.Errorf("no crate %s: neither a directory nor in %s's registry (run `make setup-reference`)", crate, refDir)
	}
	return matches[0], nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// crateReport is the API-doctest yardstick's Markdown.
func crateReport(rows []parity.Row, total int, took time.Duration, crate, features string, run cargoref.CrateRun) string {
	return fmt.Sprintf("# API doctests: %s\n\nProduced by `make api-doctests` (`rocket-sandbox parity --crate`) on %s, %d CPUs: every fenced block of the doc comments of %s/src (%d blocks, %d of them Rust) through the `example` harness in the sandbox (jail + wasm32-wasip1 + wazero), against the crate's own `cargo test --doc --features %s`, natively, on a copy of its source with its dev-dependencies and harnesses/Cargo.lock's versions (Debian's cargo and rustdoc). A block is matched to libtest's doctest by file and line of its opening fence. Outcomes: passed (ok), failed (FAILED), ignored (ignored, or not a doctest), absent (a Rust block cargo did not list: compiled out under these features).\n\n",
		filepath.Base(crate), time.Now().UTC().Format("2006-01-02 15:04 UTC"), goruntime.NumCPU(), filepath.Base(crate), len(rows), rustBlocks(rows), features) +
		parity.CrateReport(rows, total, took, run, parity.RocketCauses())
}

func rustBlocks(rows []parity.Row) int {
	n := 0
	for _, r := range rows {
		if rustdoc.ParseAttrs(r.Attrs).Rust {
			n++
		}
	}
	return n
}
