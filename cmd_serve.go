package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/doctor"
	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/server"
	"github.com/rocket-sandbox/rocket-sandbox/web/guide"
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
	// One JSON object per line: each request's line (server/observe.go)
	// is read by machines first.
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	setGoMemoryLimit(cfg, log)
	// Refuse to start, saying what to fix, rather than fail on the first
	// request.
	if err := doctor.Error(doctor.Run(ctx, doctorChecks(cfg))); err != nil {
		return err
	}
	if cfg.FrontDoor.UID != 0 {
		return serveSplit(ctx, cfg, log)
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())

	if addr := os.Getenv("ROCKET_SANDBOX_PPROF_LISTEN"); addr != "" {
		if err := servePprof(addr, log); err != nil {
			return err
		}
	}
	if err := guide.Check(cfg.Server.GuideDir); err != nil {
		// The rest is served; /guide/ says the same to its readers.
		log.Warn("no guide at /guide/ (server.guide_dir, serve --guide DIR)", "err", err)
	}
	srv := server.New(cfg.Server, a.Service(), log, server.WithMetrics(a.Metrics()))
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

// servePprof serves Go's profiles (net/http/pprof) on addr, a loopback
// address only: profiles show the service's memory, not for the network.
// It is how bench/servicebench profiles each case (docs/performance.md).
func servePprof(addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("ROCKET_SANDBOX_PPROF_LISTEN=%q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("ROCKET_SANDBOX_PPROF_LISTEN=%q: profiles are served on a loopback IP address only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("ROCKET_SANDBOX_PPROF_LISTEN: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	go func() {
		if err := http.Serve(ln, mux); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Error("pprof server stopped", "err", err)
		}
	}()
	log.Info("pprof listening", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	return nil
}

// setGoMemoryLimit applies go_memory_limit_mb unless GOMEMLIMIT, the Go
// runtime's own variable, is set (then the runtime has applied it).
func setGoMemoryLimit(cfg config.App, log *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" || cfg.GoMemoryLimitMB == 0 {
		return
	}
	debug.SetMemoryLimit(int64(cfg.GoMemoryLimitMB) << 20)
	log.Debug("Go memory limit", "mb", cfg.GoMemoryLimitMB)
}
