// Command redisbench measures what a hit through Redis costs: two
// replicas of the real service binary share one real redis-server on
// loopback; replica A computes N results (one program, N seeds: one
// compile, N runs), and replica B is asked for each once, so every
// answer is a hit that misses B's own tiers and comes from Redis. The
// baseline, measured in the same run on the same machine, is one replica
// without Redis answering memoized hits from its memory tier. It writes
// bench/results/redis.md: p50/p95 of sequential hits and the throughput
// of concurrent clients, for both, and their ratios.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/internal/testredis"
)

type options struct {
	bin, out       string
	sequential     int
	throughputKeys int
	clients        int
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/rocket-sandbox", "service binary")
	flag.StringVar(&o.out, "out", "bench/results/redis.md", "the table")
	flag.IntVar(&o.sequential, "sequential", 500, "sequential hits measured one by one (each a new key on B)")
	flag.IntVar(&o.throughputKeys, "throughput-keys", 1500, "hits in the throughput run (each a new key on B)")
	flag.IntVar(&o.clients, "clients", 8, "concurrent clients in the throughput run")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "redisbench:", err)
		os.Exit(1)
	}
}

type service struct{ *bench.Service }

func start(bin, dir, redisURL string) (*service, error) {
	caches := map[string]any{
		"results": map[string]any{"dir": filepath.Join(dir, "results")},
		"modules": map[string]any{"dir": filepath.Join(dir, "modules")},
	}
	if redisURL != "" {
		caches["redis"] = map[string]any{"url": redisURL}
	}
	s, err := bench.StartService(bin, dir, map[string]any{"cache": caches,
		"runtime": map[string]any{"compilation_cache_dir": filepath.Join(dir, "wazero")}})
	if err != nil {
		return nil, err
	}
	return &service{s}, nil
}

// ask sends the program with seed and returns the time and the tier that
// answered.
func (s *service) ask(stub string, seed int) (time.Duration, string, error) {
	body, _ := json.Marshal(map[string]any{"harness": "program", "stub": stub, "seed": seed})
	start := time.Now()
	resp, err := s.Client.Post(s.URL+"/api/v1/execute", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return 0, "", err
	}
	var a struct {
		Status string `json:"status"`
		Cache  struct {
			Result string `json:"result"`
		} `json:"cache"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &a) != nil || a.Status != "ok" {
		return 0, "", fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	return elapsed, a.Cache.Result, nil
}

// sequential asks for each seed once, in order, and checks the tier.
func sequential(s *service, stub string, seeds []int, tier string) (bench.Sample, error) {
	sample := bench.Sample{}
	for _, seed := range seeds {
		d, got, err := s.ask(stub, seed)
		if err != nil {
			return sample, err
		}
		if got != tier {
			return sample, fmt.Errorf("seed %d answered from %q, want %q", seed, got, tier)
		}
		sample.Durations = append(sample.Durations, d)
	}
	return sample, nil
}

// throughput asks for every seed once with clients at a time, and
// returns the hits per second and the per-hit sample.
func throughput(s *service, stub string, seeds []int, tier string, clients int) (float64, bench.Sample, error) {
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	sample := bench.Sample{}
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(seeds) {
					return
				}
				d, got, err := s.ask(stub, seeds[i])
				mu.Lock()
				if err == nil && got != tier {
					err = fmt.Errorf("seed %d answered from %q, want %q", seeds[i], got, tier)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				sample.Durations = append(sample.Durations, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return float64(len(seeds)) / time.Since(start).Seconds(), sample, firstErr
}

func seeds(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

func run(o options) error {
	stubBytes, err := os.ReadFile(filepath.Join("testdata", "e2e", "hello.rs"))
	if err != nil {
		return err
	}
	stub := string(stubBytes)
	tmp, err := os.MkdirTemp("", "redisbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// serve runs split by default: its front door, under a uid of its
	// own, must reach the stores below tmp (MkdirTemp makes it 0700).
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	for _, d := range []string{"redis", "a", "b", "single"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return err
		}
	}
	rs, err := testredis.Run(filepath.Join(tmp, "redis"))
	if err != nil {
		return err
	}
	defer rs.Kill()
	a, err := start(o.bin, filepath.Join(tmp, "a"), rs.URL)
	if err != nil {
		return err
	}
	defer a.Stop()
	b, err := start(o.bin, filepath.Join(tmp, "b"), rs.URL)
	if err != nil {
		return err
	}
	defer b.Stop()
	single, err := start(o.bin, filepath.Join(tmp, "single"), "")
	if err != nil {
		return err
	}
	defer single.Stop()

	// Replica A computes every result B will be asked for: one compile,
	// then one run per seed.
	n := o.sequential + o.throughputKeys
	fmt.Fprintf(os.Stderr, "redisbench: replica A computes %d results\n", n)
	if _, _, err := throughput(a, stub, seeds(0, n), "miss", 2); err != nil {
		return fmt.Errorf("filling: %w", err)
	}
	// The single node memoizes a few results; its hits come from memory.
	const hot = 50
	if _, err := sequential(single, stub, seeds(0, hot), "miss"); err != nil {
		return err
	}

	fmt.Fprintln(os.Stderr, "redisbench: sequential hits")
	base, err := sequential(single, stub, cycle(hot, o.sequential), "memory")
	if err != nil {
		return err
	}
	viaRedis, err := sequential(b, stub, seeds(0, o.sequential), "redis")
	if err != nil {
		return err
	}
	promoted, err := sequential(b, stub, seeds(0, o.sequential), "memory")
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "redisbench: throughput")
	baseRate, baseConc, err := throughput(single, stub, cycle(hot, o.throughputKeys), "memory", o.clients)
	if err != nil {
		return err
	}
	redisRate, redisConc, err := throughput(b, stub, seeds(o.sequential, o.throughputKeys), "redis", o.clients)
	if err != nil {
		return err
	}

	var w strings.Builder
	fmt.Fprint(&w, "# Memoized hits through Redis: two replicas + Redis vs one replica\n\n")
	fmt.Fprintf(&w, "`make bench-redis` (`go run ./bench/redisbench`), %s, %d CPUs (shared with other work), "+
		"loopback; redis-server from Debian, no persistence; the service binary at `%s`.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), o.bin)
	fmt.Fprintf(&w, "Cache state: replica A computed %d results of the hello-world program (one compile, "+
		"one seed each); replica B had never seen them, so each request to B misses its memory and disk "+
		"tiers and is answered from Redis (`cache.result: \"redis\"`, checked on every answer), then kept "+
		"in B's memory. The baseline is one replica without Redis answering results it memoized from "+
		"its memory tier (`\"memory\"`), in the same run. Times are the client's, request sent to body read, "+
		"over HTTP on loopback.\n\n", n)
	fmt.Fprintf(&w, "| case | hits | p50 ms | p95 ms | p50 vs baseline |\n|---|---|---|---|---|\n")
	row := func(label string, s bench.Sample) {
		fmt.Fprintf(&w, "| %s | %d | %s | %s | %.2f× |\n", label, len(s.Durations),
			bench.Ms(s.Quantile(0.5)), bench.Ms(s.Quantile(0.95)), float64(s.Quantile(0.5))/float64(base.Quantile(0.5)))
	}
	row("one replica, memory hit (baseline), sequential", base)
	row("replica B, hit through Redis (local miss), sequential", viaRedis)
	row("replica B, the same results again (promoted to memory), sequential", promoted)
	row(fmt.Sprintf("one replica, memory hit, %d clients", o.clients), baseConc)
	row(fmt.Sprintf("replica B, hit through Redis, %d clients", o.clients), redisConc)
	fmt.Fprintf(&w, "\n| throughput, %d clients | hits/s | vs baseline |\n|---|---|---|\n", o.clients)
	fmt.Fprintf(&w, "| one replica, memory hits (baseline) | %.0f | 1.00× |\n", baseRate)
	fmt.Fprintf(&w, "| replica B, hits through Redis | %.0f | %.2f× |\n", redisRate, redisRate/baseRate)
	p50 := viaRedis.Quantile(0.5)
	verdict := "meets"
	if p50 > 2*time.Millisecond {
		verdict = "misses"
	}
	fmt.Fprintf(&w, "\nTarget: a hit through Redis ≤ 2 ms p50 on loopback — measured %s ms: %s it.\n", bench.Ms(p50), verdict)
	if err := os.WriteFile(o.out, []byte(w.String()), 0o644); err != nil {
		return err
	}
	fmt.Print(w.String())
	return nil
}

// cycle is n seeds taken in turn from the first k.
func cycle(k, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i % k
	}
	return out
}
