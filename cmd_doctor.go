package main

import (
	"context"
	"errors"
	"flag"
	"os"

	"github.com/rocket-sandbox/rocket-sandbox/doctor"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
)

// cmdDoctor checks every precondition of the service and prints each
// check; it fails if any does.
func cmdDoctor(ctx context.Context, argv []string) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	configPath := fs.String("config", "", "JSON config file")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	if doctor.Report(ctx, os.Stdout, doctorChecks(cfg)) != nil {
		return errors.New("some checks failed: see above")
	}
	return nil
}

// doctorChecks are the service's preconditions under cfg; serve runs them
// too before it builds anything.
func doctorChecks(cfg config.App) []doctor.Check {
	return doctor.Checks(doctor.RealHost(), doctor.Config{StateDir: cfg.StateDir, JailStateDir: cfg.Jail.StateDir})
}
