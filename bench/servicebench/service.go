package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
)

// service is one service binary started for the benchmark, with its own
// empty state directory (results, modules, wazero's compilation cache).
type service struct {
	*bench.Service
	url    string
	client *http.Client
	prof   *profiler // nil: not profiled
}

func startService(bin, stateDir, profileDir string) (*service, error) {
	cfg := map[string]any{
		"cache": map[string]any{
			"results": map[string]any{"dir": filepath.Join(stateDir, "results")},
			"modules": map[string]any{"dir": filepath.Join(stateDir, "modules")},
		},
		"runtime": map[string]any{"compilation_cache_dir": filepath.Join(stateDir, "wazero")},
		// Let density reach past the CPU count: the bench measures where
		// the service saturates, not the admission gate.
		"service": map[string]any{"max_concurrent": 64, "max_queue": 256},
	}
	var env []string
	var prof *profiler
	if profileDir != "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		paddr := ln.Addr().String()
		ln.Close()
		env = append(env, "ROCKET_SANDBOX_PPROF_LISTEN="+paddr)
		prof = &profiler{base: "http://" + paddr + "/debug/pprof", dir: profileDir}
	}
	s, err := bench.StartService(bin, stateDir, cfg, env...)
	if err != nil {
		return nil, err
	}
	return &service{Service: s, url: s.URL, client: s.Client, prof: prof}, nil
}

func (s *service) stop() { s.Stop() }

// addr is the service's host:port.
func (s *service) addr() string { return strings.TrimPrefix(s.url, "http://") }

type answer struct {
	Status string `json:"status"`
	Cache  struct {
		Result string `json:"result"`
		Module string `json:"module"`
	} `json:"cache"`
	Run *struct {
		DurationMS int64 `json:"duration_ms"`
	} `json:"run"`
	bytes int
}

func (s *service) execute(w workload, stub string, args any) (time.Duration, answer, error) {
	body, _ := json.Marshal(map[string]any{"harness": w.harness, "stub": stub, "args": args})
	start := time.Now()
	resp, err := s.client.Post(s.url+"/api/v1/execute", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, answer{}, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return 0, answer{}, err
	}
	var a answer
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &a) != nil {
		return 0, a, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	a.bytes = len(raw)
	return elapsed, a, nil
}

func (s *service) harnesses() (map[string]bool, error) {
	r, err := s.client.Get(s.url + "/api/v1/harnesses")
	if err != nil {
		return nil, err
	}
	defer r.Body.Close()
	var body struct {
		Harnesses []struct{ ID string } `json:"harnesses"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, h := range body.Harnesses {
		out[h.ID] = true
	}
	return out, nil
}

// rss is the memory of a process and all its descendants (with the
// split, the service is a keeper, a front door and run workers), bytes:
// the sum of their proportional set sizes (Pss: a page shared by n
// processes, such as the binary's text, counts 1/n in each, so the sum
// is what the node holds), and the sum of their resident peaks (VmHWM,
// an upper bound: shared pages count in each).
func rss(pid int) (cur, peak int64) {
	m := memoryOf(pid)
	return m.total, m.peak
}

// processMemory is rss with the share of each part of the service.
type processMemory struct {
	total, peak               int64
	keeper, frontDoor, others int64   // Pss
	workers                   []int64 // Pss of each run worker (or compile jail), largest first
	// code is the Pss of anonymous executable mappings over all the
	// processes: wazero's compiled machine code (the binary's own text
	// is a file mapping).
	code int64
}

func memoryOf(pid int) processMemory {
	var m processMemory
	for i, p := range append([]int{pid}, descendants(pid)...) {
		pss, hwm := pssOf(p)
		m.total, m.peak = m.total+pss, m.peak+hwm
		m.code += codeOf(p)
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		switch {
		case i == 0:
			m.keeper = pss
		case strings.Contains(string(cmdline), "front-door"):
			m.frontDoor += pss
		case strings.Contains(string(cmdline), "jail_init"):
			m.workers = append(m.workers, pss)
		default:
			m.others += pss
		}
	}
	sort.Slice(m.workers, func(i, j int) bool { return m.workers[i] > m.workers[j] })
	return m
}

// pssOf reads a process's Pss (smaps_rollup) and VmHWM (status), bytes.
func pssOf(pid int) (pss, hwm int64) {
	field := func(file, name string) int64 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
		if err != nil {
			return 0
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == name {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n << 10
			}
		}
		return 0
	}
	return field("smaps_rollup", "Pss:"), field("status", "VmHWM:")
}

// codeOf is the Pss of a process's anonymous executable mappings, bytes
// (smaps: a mapping's header has its permissions and, for a file, a path).
func codeOf(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0
	}
	var sum int64
	code := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4:
			// A header: range, perms, offset, dev, inode, [path].
			code = f[1][2] == 'x' && (len(f) == 5 || strings.HasPrefix(f[5], "["))
		case code && len(f) >= 2 && f[0] == "Pss:":
			n, _ := strconv.ParseInt(f[1], 10, 64)
			sum += n << 10
		}
	}
	return sum
}

// descendants lists pid's children, theirs, and so on.
func descendants(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if child, err := strconv.Atoi(f); err == nil {
				out = append(append(out, child), descendants(child)...)
			}
		}
	}
	return out
}

// cacheBytes reads what each cache's memory tier holds from the
// service's /metrics (rocket_sandbox_cache_bytes{cache,tier="memory"}),
// by cache name.
func (s *service) cacheBytes() (map[string]int64, error) {
	r, err := s.client.Get(s.url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer r.Body.Close()
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(raw), "\n") {
		rest, ok := strings.CutPrefix(line, "rocket_sandbox_cache_bytes{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok || !strings.Contains(labels, `tier="memory"`) {
			continue
		}
		_, name, _ := strings.Cut(labels, `cache="`)
		name, _, _ = strings.Cut(name, `"`)
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return nil, fmt.Errorf("/metrics: %q", line)
		}
		out[name] = int64(v)
	}
	return out, nil
}
