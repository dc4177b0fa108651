package main

import (
	"context"
	"flag"

	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

func cmdSetup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("setup", flag.ContinueOnError)
	var cfg toolchain.Config
	fs.StringVar(&cfg.SourceDir, "source", "", "project checkout (default: working directory)")
	fs.StringVar(&cfg.StateDir, "state", toolchain.DefaultStateDir(), "where prepared artifacts go ($ROCKET_SANDBOX_STATE_DIR)")
	fs.BoolVar(&cfg.Reference, "reference", false, "also build the native reference profile (parity tool, tests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, err := toolchain.Setup(ctx, cfg)
	return err
}
