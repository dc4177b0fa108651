// Command apibench measures, in one run against one service, what the
// operations layer costs and what one node can carry:
//
//   - metrics overhead: memo-hit throughput and latency through two HTTP
//     servers over the same service, one with the metrics middleware
//     (and /metrics) and one without, in alternating rounds so drift
//     hits both alike (the target: < 5 % apart);
//   - capacity: jobs per second per core for cold compiles (a new stub
//     each), warm runs (the module cached, new args each) and memo hits,
//     at as many concurrent clients as there are cores (memo: 4 per core).
//
// Every request goes through the project's Go client (package client).
// It writes bench/results/api-ops.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/client"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

type options struct {
	out         string
	rounds      int
	roundFor    time.Duration
	memoClients int
	memoFor     time.Duration
	cold, warm  int
}

func main() {
	jail.MaybeInit() // the compile jail re-executes this binary as its init
	var o options
	flag.StringVar(&o.out, "out", "bench/results/api-ops.md", "result file")
	flag.IntVar(&o.rounds, "rounds", 30, "paired rounds (one per server, order alternating) for the metrics overhead")
	flag.DurationVar(&o.roundFor, "round-for", 500*time.Millisecond, "length of one round")
	flag.DurationVar(&o.memoFor, "memo-for", 5*time.Second, "length of the memo-hit capacity run")
	flag.IntVar(&o.memoClients, "clients", 4*runtime.NumCPU(), "concurrent clients for memo hits")
	flag.IntVar(&o.cold, "cold", 4*runtime.NumCPU(), "cold compiles for the capacity figure")
	flag.IntVar(&o.warm, "warm", 30*runtime.NumCPU(), "warm runs for the capacity figure")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx := context.Background()
	a, cfg, stop, err := bench.FreshApp(ctx, "apibench")
	if err != nil {
		return err
	}
	defer stop()

	// Both servers log their request lines, as in production, to nowhere.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	lnA, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	lnB, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	cfg.Server.AllowedHosts = []string{lnA.Addr().String(), lnB.Addr().String()}
	without, stopA := serve(lnA, server.New(cfg.Server, a.Service(), log))
	defer stopA()
	with, stopB := serve(lnB, server.New(cfg.Server, a.Service(), log, server.WithMetrics(a.Metrics())))
	defer stopB()

	hello, err := os.ReadFile(filepath.Join("testdata", "e2e", "hello.rs"))
	if err != nil {
		return err
	}
	req := client.ExecuteRequest{Harness: "program", Stub: string(hello)}
	// The one compile before the memo-hit rounds.
	if _, err := with.Execute(ctx, req); err != nil {
		return err
	}

	// Paired rounds, the order alternating (without-with, with-without,
	// ...) so a trend in the machine's load hits both alike; each pair's
	// ratio compares two neighbours in time.
	var rows []overheadRow // without, with, without, with, ...
	for r := 0; r < o.rounds; r++ {
		order := []*client.Client{without, with}
		if r%2 == 1 {
			order = []*client.Client{with, without}
		}
		var got [2]overheadRow
		for _, c := range order {
			n, lat, err := hammer(ctx, c, req, o.memoClients, o.roundFor)
			if err != nil {
				return err
			}
			if c == without {
				got[0] = overheadRow{"without metrics", n, lat}
			} else {
				got[1] = overheadRow{"with metrics", n, lat}
			}
		}
		rows = append(rows, got[0], got[1])
	}

	cores := runtime.NumCPU()
	coldStub := func(i int) client.ExecuteRequest {
		return client.ExecuteRequest{Harness: "program", Stub: fmt.Sprintf("%s\n// apibench cold %d %d\n", hello, time.Now().UnixNano(), i)}
	}
	warmReq := func(i int) client.ExecuteRequest {
		args := fmt.Sprintf(`{"stdin":"warm %d %d"}`, time.Now().UnixNano(), i)
		return client.ExecuteRequest{Harness: "program", Stub: string(hello), Args: []byte(args)}
	}
	cold, err := jobs(ctx, with, o.cold, cores, coldStub, "miss")
	if err != nil {
		return err
	}
	warm, err := jobs(ctx, with, o.warm, cores, warmReq, "miss")
	if err != nil {
		return err
	}
	memoN, memoLat, err := hammer(ctx, with, req, o.memoClients, o.memoFor)
	if err != nil {
		return err
	}
	memo := capacity{jobs: memoN, elapsed: o.memoFor, sample: bench.Sample{Durations: memoLat}}
	return write(o, rows, cores, cold, warm, memo)
}

// serve serves srv on ln and returns a client of it.
func serve(ln net.Listener, srv interface {
	Listener(net.Listener) error
	Shutdown() error
}) (*client.Client, func()) {
	go srv.Listener(ln)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	c := client.New("http://" + ln.Addr().String()).WithHTTPClient(hc)
	return c, func() { srv.Shutdown() }
}

// hammer sends req from clients goroutines for d and returns how many
// answers came back and each one's latency.
func hammer(ctx context.Context, c *client.Client, req client.ExecuteRequest, clients int, d time.Duration) (int, []time.Duration, error) {
	var (
		mu    sync.Mutex
		lat   []time.Duration
		first atomic.Value
		wg    sync.WaitGroup
	)
	stop := time.Now().Add(d)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) {
				start := time.Now()
				resp, err := c.Execute(ctx, req)
				if err == nil && (resp.Cache == nil || resp.Cache.Result == client.CacheTierMiss) {
					err = errors.New("not a memo hit")
				}
				if err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err, ok := first.Load().(error); ok {
		return 0, nil, err
	}
	return len(lat), lat, nil
}

type capacity struct {
	jobs    int
	elapsed time.Duration
	sample  bench.Sample
}

// jobs runs n requests made by mk at concurrency conc and checks each was
// computed (the result tier is want).
func jobs(ctx context.Context, c *client.Client, n, conc int, mk func(int) client.ExecuteRequest, want client.CacheTier) (capacity, error) {
	var (
		next  atomic.Int64
		mu    sync.Mutex
		lat   []time.Duration
		first atomic.Value
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				t := time.Now()
				resp, err := c.Execute(ctx, mk(i))
				if err == nil && (resp.Status != client.ResultStatusOK || resp.Cache == nil || resp.Cache.Result != want) {
					err = fmt.Errorf("job %d: status %s, cache %+v", i, resp.Status, resp.Cache)
				}
				if err != nil {
					first.CompareAndSwap(nil, err)
					return
				}
				mu.Lock()
				lat = append(lat, time.Since(t))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err, ok := first.Load().(error); ok {
		return capacity{}, err
	}
	return capacity{jobs: n, elapsed: time.Since(start), sample: bench.Sample{Durations: lat}}, nil
}

type overheadRow struct {
	server string
	n      int
	lat    []time.Duration
}

func write(o options, rows []overheadRow, cores int, cold, warm, memo capacity) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# API and operations benchmark\n\nProduced by `make bench-api` (`go run ./bench/apibench`) on %s, %d CPUs (shared with other work: compare rows of one run, not runs).\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), cores)
	fmt.Fprintf(&b, "One service (app.New, fresh caches) behind two HTTP servers on loopback, spoken to with the Go client (package client).\n\n")

	fmt.Fprintf(&b, "## Metrics overhead: memo hits with and without the metrics middleware\n\n")
	fmt.Fprintf(&b, "Cache state: every request is a memo hit in the memory tier (hello-world, `program`). %d clients; %d pairs of rounds of %s, one per server, the order alternating.\n\n",
		o.memoClients, o.rounds, o.roundFor)
	b.WriteString("| server | requests | throughput req/s | p50 ms | p95 ms |\n|---|---|---|---|---|\n")
	total := map[string]int{}
	all := map[string][]time.Duration{}
	for _, r := range rows {
		total[r.server] += r.n
		all[r.server] = append(all[r.server], r.lat...)
	}
	tput := map[string]float64{}
	for _, name := range []string{"without metrics", "with metrics"} {
		s := bench.Sample{Durations: all[name]}
		tput[name] = float64(total[name]) / (o.roundFor.Seconds() * float64(o.rounds))
		fmt.Fprintf(&b, "| %s | %d | %.0f | %s | %s |\n", name, total[name], tput[name], bench.Ms(s.Quantile(0.5)), bench.Ms(s.Quantile(0.95)))
	}
	var ratios []float64
	for i := 0; i+1 < len(rows); i += 2 {
		ratios = append(ratios, float64(rows[i+1].n)/float64(rows[i].n))
	}
	sort.Float64s(ratios)
	q := func(p float64) float64 { return ratios[int(p*float64(len(ratios)-1)+0.5)] }
	fmt.Fprintf(&b, "\nWith metrics against without: **%+.1f %%** over all rounds; per pair of neighbouring rounds, median **%+.1f %%** (quartiles %+.1f %% … %+.1f %%). Target: less than 5 %% apart.\n",
		(tput["with metrics"]/tput["without metrics"]-1)*100, (q(0.5)-1)*100, (q(0.25)-1)*100, (q(0.75)-1)*100)
	fmt.Fprintf(&b, "The spread between rounds of one server (the machine is shared) is larger than the difference between the servers.\n")

	fmt.Fprintf(&b, "\n## Capacity: jobs per second per core\n\n")
	fmt.Fprintf(&b, "hello-world through `program`, with metrics. Cold: a new stub each (rustc in the jail, wazero compile, run), %d clients. Warm: the module cached, new args each (a run), %d clients. Memo: the same request (memory tier), %d clients.\n\n", cores, cores, o.memoClients)
	b.WriteString("| case | jobs | p50 ms | p95 ms | jobs/s | jobs/s per core |\n|---|---|---|---|---|---|\n")
	for _, r := range []struct {
		name string
		c    capacity
	}{{"cold (new stub)", cold}, {"warm (cached module, new args)", warm}, {"memo (memoized hit)", memo}} {
		rate := float64(r.c.jobs) / r.c.elapsed.Seconds()
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", r.name, r.c.jobs, bench.Ms(r.c.sample.Quantile(0.5)), bench.Ms(r.c.sample.Quantile(0.95)),
			strconv.FormatFloat(rate, 'f', 1, 64), strconv.FormatFloat(rate/float64(cores), 'f', 1, 64))
	}
	if err := os.WriteFile(o.out, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(b.String())
	return nil
}
