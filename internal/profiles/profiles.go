// Package profiles serves Go's profiles (net/http/pprof) on a loopback
// address, for the benchmark and an operator on the host: they show the
// service's memory and stacks, never the network's business. `serve`
// starts it when ROCKET_SANDBOX_PPROF_LISTEN is set — in its own process,
// or, with the split, in the front door (docs/operations.md).
package profiles

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
)

// Env names the variable that asks serve for profiles, and where.
const Env = "ROCKET_SANDBOX_PPROF_LISTEN"

// Check refuses an address that is not host:port with a loopback IP.
func Check(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s=%q: %w", Env, addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s=%q: profiles are served on a loopback IP address only", Env, addr)
	}
	return nil
}

// Serve serves the profiles on addr (Check must accept it) until the
// process ends.
func Serve(addr string, log *slog.Logger) error {
	if err := Check(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", Env, err)
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
