package main

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/doctor"
	"github.com/rocket-sandbox/rocket-sandbox/frontdoor"
	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/profiles"
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
	frontdoor.SetGoMemoryLimit(cfg, log)
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

	if addr := os.Getenv(profiles.Env); addr != "" {
		if err := profiles.Serve(addr, log); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	return frontdoor.ServeHTTP(ctx, cfg, a, ln, log)
}

// serveSplit is serve with front_door.uid set (the default): this root
// process does what needs root or the state dir (the doctor's checks,
// the manifest, jail recovery, the compile jail, the fingerprint, the
// stores' directories, the listening socket, so a port below 1024 needs
// no capability in the front door) and then only keeps the keeper; the
// front door, under front_door.uid, serves HTTP (docs/security.md).
func serveSplit(ctx context.Context, cfg config.App, log *slog.Logger) error {
	k, err := app.NewKeeper(cfg)
	if err != nil {
		return err
	}
	defer k.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	defer ln.Close()
	s, err := frontdoor.Start(ctx, k, cfg, ln.(*net.TCPListener), os.Getenv(profiles.Env), os.Stderr)
	if err != nil {
		return err
	}
	ln.Close() // only the front door holds it now
	log.Info("keeper: front door started", "pid", s.Pid(), "uid", cfg.FrontDoor.UID)
	// However it ends, the front door is gone before the keeper stops
	// (which kills the workers), and the keeper before the jail closes.
	return s.Wait(ctx, 35*time.Second)
}
