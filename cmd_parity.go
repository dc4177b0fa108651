package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/parity"
)

// cmdParity puts every ```rust block of a guide through the example
// harness in the sandbox and in the native reference, prints the table
// and fails if any block's outcome differs.
func cmdParity(ctx context.Context, argv []string) error {
	fs := flag.NewFlagSet("parity", flag.ContinueOnError)
	guide := fs.String("guide", filepath.Join("..", "shared", "rocket-guide"), "directory of markdown chapters")
	out := fs.String("out", "", "also write the markdown table here")
	limit := fs.Int("limit", 0, "only the first N blocks (0: all)")
	every := fs.Int("every", 1, "only every Nth block (a representative subset)")
	configPath := fs.String("config", "", "JSON config file")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	if *every < 1 {
		return errors.New("--every must be at least 1")
	}
	blocks, err := parity.Extract(*guide)
	if err != nil {
		return err
	}
	if len(blocks) == 0 {
		return fmt.Errorf("no ```rust blocks in %s", *guide)
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
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	reference, err := app.Reference(cfg)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())

	start := time.Now()
	rows := parity.Run(ctx, picked, a.Service(), reference, func(i int, r parity.Row) {
		mark := "=="
		if !r.Same() {
			mark = "!="
		}
		fmt.Fprintf(os.Stderr, "[parity %d/%d] %s:%d %s: sandbox %s %s native %s\n", i+1, len(picked), r.File, r.Line, r.Attrs, r.Sandbox.Outcome, mark, r.Native.Outcome)
	})
	table := fmt.Sprintf("# Guide parity\n\nProduced by `make parity` (`rocket-sandbox parity`) on %s, %d CPUs: every ```rust block of %s through the `example` harness in the sandbox (jail + wasm32-wasip1 + wazero) and natively (the same harness and dependency profile built for the host, no jail). Outcomes are rustdoc's: passed, failed, ignored.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), goruntime.NumCPU(), *guide) + parity.Table(rows, len(blocks), time.Since(start))
	fmt.Print(table)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if !r.Same() {
			return errors.New("parity: sandbox and native disagree on some blocks")
		}
	}
	return nil
}
