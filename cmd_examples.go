package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/cargoref"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/examples"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// cmdExamples runs Rocket's example apps' own tests in the sandbox (each
// example sent unmodified as a project to the `test` harness, over HTTP)
// and natively under real `cargo test`, and writes the comparison table
// (make examples; internal/examples).
func cmdExamples(ctx context.Context, argv []string) error {
	fs := flag.NewFlagSet("examples", flag.ContinueOnError)
	dir := fs.String("dir", filepath.Join("..", "shared", "rocket-examples"), "Rocket's examples/ directory (read where it is)")
	only := fs.String("only", "", "comma-separated example names (default: every example)")
	url := fs.String("url", "", "a running service to send the examples to (default: the service started in this process on a loopback port)")
	native := fs.Bool("native", true, "also run the examples natively with cargo test")
	sandboxSide := fs.Bool("sandbox", true, "run the examples in the sandbox (--sandbox=false: only natively, to build and cache the native side; no table)")
	out := fs.String("out", "", "also write the markdown report here")
	configPath := fs.String("config", "", "JSON config file")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	var pick []string
	if *only != "" {
		pick = strings.Split(*only, ",")
	}
	exs, err := examples.Load(*dir, pick...)
	if err != nil {
		return err
	}
	start := time.Now()

	nativeSides := map[string]examples.Side{}
	nativeTook := time.Duration(0)
	if *native {
		ref := cargoref.Config{SourceDir: ".", Dir: cargoref.Dir(cfg.StateDir), Log: os.Stderr}
		t := time.Now()
		var log []byte
		nativeSides, log, err = examples.Native(ctx, ref, exs)
		nativeTook = time.Since(t)
		if err != nil {
			return err
		}
		_ = os.WriteFile(filepath.Join(cargoref.Dir(cfg.StateDir), "examples-native", "cargo-test.log"), log, 0o644)
	}

	if !*sandboxSide {
		for _, e := range exs {
			n := nativeSides[e.Name]
			fmt.Printf("%s: native %d passed, %d failed, %d ignored %s\n", e.Name, n.Count("passed"), n.Count("failed"), n.Count("ignored"), n.Error)
		}
		return nil
	}
	baseURL := *url
	if baseURL == "" {
		// The examples are a yardstick of what works, not of speed: a
		// compile of the heaviest (diesel, sqlx) and a run of each test
		// get the most the jail and the engine allow, so a loaded
		// machine does not turn into a "timeout" row.
		cfg.Service.CompileLimits.WallTimeMS = max(cfg.Service.CompileLimits.WallTimeMS, min(120_000, cfg.Jail.MaxLimits.WallTimeMS))
		cfg.Service.CompileLimits.CPUTimeMS = max(cfg.Service.CompileLimits.CPUTimeMS, min(120_000, cfg.Jail.MaxLimits.CPUTimeMS))
		cfg.Runtime.TimeoutMS = max(cfg.Runtime.TimeoutMS, 60_000)
		cfg.Server.RequestTimeoutMS = max(cfg.Server.RequestTimeoutMS, 15*60_000)
		a, err := app.New(ctx, cfg)
		if err != nil {
			return err
		}
		defer a.Close(context.Background())
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		// The Host the runner sends is this listener's, not listen's.
		cfg.Server.AllowedHosts = server.DefaultAllowedHosts(ln.Addr().String())
		quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		srv := server.New(cfg.Server, a.Service(), quiet)
		go srv.Listener(ln)
		defer srv.Shutdown()
		baseURL = "http://" + ln.Addr().String()
	}
	client := &http.Client{Timeout: 15 * time.Minute}
	var rows []examples.Row
	t := time.Now()
	for i, e := range exs {
		s, err := examples.Sandbox(ctx, client, baseURL, e, nil)
		if err != nil {
			return err
		}
		n, ok := nativeSides[e.Name]
		if !*native {
			n, ok = s, true // no native side: compare with itself, parity says nothing
		}
		if !ok {
			n = examples.Side{Error: "not run natively"}
		}
		row := examples.Compare(e.Name, s, n)
		if !row.Parity {
			row.Cause = examples.CauseOf(row)
		} else if note := examples.Notes[e.Name]; note != "" {
			row.Notes = append(row.Notes, note)
		}
		rows = append(rows, row)
		fmt.Fprintf(os.Stderr, "[examples %d/%d] %s: sandbox %d passed, %d failed; parity %v (%.1fs)\n", i+1, len(exs), e.Name,
			s.Count("passed"), s.Count("failed"), row.Parity, time.Since(t).Seconds())
	}
	sandboxTook := time.Since(t)
	how := "natively by real `cargo test` (Debian's cargo and rustc, `/usr/bin/cargo` with RUSTC=/usr/bin/rustc) on a workspace of copies in the state dir (`reference/examples-native`), each example's path dependencies on Rocket's tree mapped to the crates.io releases (rocket 0.5.1, rocket_dyn_templates 0.2.0, rocket_db_pools 0.2.0, rocket_sync_db_pools 0.1.0, rocket_ws 0.1.1), starting from the profile's lock (harnesses/Cargo.lock), so shared dependencies are at the sandbox's versions"
	if !*native {
		how = "not natively (--native=false): the native columns repeat the sandbox's"
	}
	report := fmt.Sprintf("# Rocket's examples: sandbox vs native `cargo test`\n\n"+
		"Produced by `make examples` (`rocket-sandbox examples`) on %s, %d CPUs, in %s (native %s, sandbox %s): "+
		"each of Rocket's v0.5.1 example apps (read from `%s`, unmodified) sent as a project through the `test` harness of the service over HTTP "+
		"(jail + wasm32-wasip1 + wazero; a fresh module cache unless the state dir's was warm), and run %s. "+
		"Counts are tests passed / failed / ignored; parity is every test's outcome the same on both sides. "+
		"Causes of differences are described in [wasi-shims/README.md](../../wasi-shims/README.md) and docs/api.md.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), goruntime.NumCPU(), time.Since(start).Round(time.Second),
		nativeTook.Round(time.Second), sandboxTook.Round(time.Second), *dir, how) + examples.Table(rows)
	fmt.Print(report)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	return nil
}
