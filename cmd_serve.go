package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/doctor"
	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

func cmdServe(ctx context.Context, argv []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	configPath := fs.String("config", "", "JSON config file")
	listen := fs.String("listen", "", "address to listen on (default 127.0.0.1:8080; $ROCKET_SANDBOX_LISTEN)")
	guideDir := fs.String("guide", "", "directory of Markdown chapters served at /guide/ (default ../shared/rocket-guide; $ROCKET_SANDBOX_GUIDE_DIR)")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	var flags []config.Flag
	if *listen != "" {
		flags = append(flags, config.Flag{Name: "--listen", Key: "listen", Value: *listen})
	}
	if *guideDir != "" {
		flags = append(flags, config.Flag{Name: "--guide", Key: "server.guide_dir", Value: *guideDir})
	}
	cfg, err := config.Load(*configPath, flags...)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// Refuse to start, saying what to fix, rather than fail on the first
	// request.
	if err := doctor.Error(doctor.Run(ctx, doctorChecks(cfg))); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())

	srv := server.New(cfg.Server, a.Service(), log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Listen(cfg.Listen) }()
	log.Info("rocket-sandbox listening", "addr", "http://"+cfg.Listen)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		log.Info("shutting down")
		return srv.ShutdownWithTimeout(30 * time.Second)
	}
}
