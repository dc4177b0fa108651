// Command filesbench measures what a project's binary file costs the Go
// side (docs/api.md, "Binary files"): the same request with one large
// file sent as a JSON string (the baseline) and as base64, through the
// real HTTP server and service (app.New), each request carrying the file
// to the end of validation and refused there (the project has no crate
// root), so nothing compiles and no cache answers: what is timed is
// reading the body, decoding the file and checking the file set. Cases
// take turns in rounds, so drift on the shared machine hits all alike.
// It writes bench/results/binary-files.md.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/client"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

func main() {
	jail.MaybeInit() // the compile jail re-executes this binary as its init
	out := flag.String("out", "bench/results/binary-files.md", "result file")
	rounds := flag.Int("rounds", 20, "rounds; each sends every case per-round times")
	perRound := flag.Int("per-round", 10, "requests of each case per round")
	fileBytes := flag.Int("file-bytes", 700<<10, "the file's size (its base64 must fit the 1 MiB body limit)")
	flag.Parse()
	if err := run(*out, *rounds, *perRound, *fileBytes); err != nil {
		fmt.Fprintln(os.Stderr, "filesbench:", err)
		os.Exit(1)
	}
}

// fileCase is one way of sending the file.
type fileCase struct {
	name   string
	body   []byte
	sample bench.Sample
	alloc  uint64 // bytes allocated by the process over the case's requests
}

func run(out string, rounds, perRound, size int) error {
	ctx := context.Background()
	a, cfg, stop, err := bench.FreshApp(ctx, "filesbench")
	if err != nil {
		return err
	}
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg.Server.AllowedHosts = []string{ln.Addr().String()}
	srv := server.New(cfg.Server, a.Service(), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	go srv.Listener(ln)
	defer srv.Shutdown()
	c := client.New("http://" + ln.Addr().String())

	text := bytes.Repeat([]byte("binary files: the same bytes as text or base64\n"), size/47+1)[:size]
	random := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{'f', 'i', 'l', 'e', 's'})
	_, _ = rng.Read(random)
	body := func(content json.RawMessage) []byte {
		b, _ := json.Marshal(map[string]any{"harness": "program", "files": map[string]json.RawMessage{"static/data": content}})
		return b
	}
	cases := []*fileCase{
		{name: "text as a string (baseline)", body: body(client.File(text))},
		{name: "the same text as base64", body: body(b64(text))},
		{name: "random bytes as base64", body: body(client.File(random))},
	}
	for _, fc := range cases {
		if len(fc.body) > cfg.Server.MaxBodyBytes {
			return fmt.Errorf("%s: a %d-byte body is over the %d-byte limit: lower -file-bytes", fc.name, len(fc.body), cfg.Server.MaxBodyBytes)
		}
		if err := send(ctx, c, fc.body); err != nil { // and a warm-up
			return fmt.Errorf("%s: %w", fc.name, err)
		}
	}
	for r := range rounds {
		for i := range cases {
			fc := cases[(i+r)%len(cases)]
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			s, err := bench.Time(fc.name, perRound, func() error { return send(ctx, c, fc.body) })
			runtime.ReadMemStats(&after)
			if err != nil {
				return err
			}
			fc.sample.Durations = append(fc.sample.Durations, s.Durations...)
			fc.alloc += after.TotalAlloc - before.TotalAlloc
		}
	}
	return write(out, cfg.Server.MaxBodyBytes, size, rounds*perRound, cases)
}

// b64 is content's binary form, whatever its bytes.
func b64(content []byte) json.RawMessage {
	b, _ := json.Marshal(client.FileBytes{Content: base64.StdEncoding.EncodeToString(content), Encoding: "base64"})
	return b
}

// send posts body and requires the refusal every case must end in: the
// file set checked, its crate root missing.
func send(ctx context.Context, c *client.Client, body []byte) error {
	_, raw, err := c.ExecuteJSON(ctx, body)
	var p *client.Error
	if !errors.As(err, &p) || p.HTTPStatus != http.StatusBadRequest || !strings.Contains(p.Problem.Error, "needs a crate root") {
		return fmt.Errorf("want the 400 for a missing crate root after the files are read, got %v: %.200s", err, raw)
	}
	return nil
}

func write(out string, maxBody, size, n int, cases []*fileCase) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Binary files: what base64 costs the Go side\n\nProduced by `make bench-files` (`go run ./bench/filesbench`) on %s, %d CPUs (shared with other work: compare rows of one run, not runs).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU())
	fmt.Fprintf(&b, "One project file of %d KiB, sent through the real HTTP server and service (app.New, fresh caches) with the Go client, one request at a time; "+
		"each request is read, its file decoded and the file set checked, then refused (no crate root: nothing compiles, no cache answers). "+
		"Cache state: none involved. The cases take turns, %d requests each in all. The body limit is %d bytes. "+
		"Allocated is the whole process's (client and server) per request, divided by the file's size.\n\n", size>>10, n, maxBody)
	b.WriteString("| case | body bytes | requests | p50 ms | p95 ms | ratio p50 | allocated per request | per file byte |\n|---|---|---|---|---|---|---|---|\n")
	base := cases[0].sample.Quantile(0.5)
	for _, fc := range cases {
		per := fc.alloc / uint64(len(fc.sample.Durations))
		fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %.2f× | %d KiB | %.2f |\n", fc.name, len(fc.body), len(fc.sample.Durations),
			bench.Ms(fc.sample.Quantile(0.5)), bench.Ms(fc.sample.Quantile(0.95)), float64(fc.sample.Quantile(0.5))/float64(base), per>>10, float64(per)/float64(size))
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(b.String())
	return nil
}
