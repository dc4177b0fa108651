// Command editbench measures issue 16's compile rows in one run, on the
// machine's shared cores, writing bench/results/edit-run.md:
//
//   - edit → Run: Rocket's `hello` example with one handler's string
//     changed (a new stub each time), end to end through the service with
//     a session (its incremental directory warm from the previous edit),
//     against a developer's local `cargo build` of the same edit (debug,
//     incremental, dependencies built; Debian's rustc), the two
//     interleaved edit by edit; and the same edits without a session
//     (every compile from an empty directory), as the service answered
//     before sessions existed.
//   - cold new mid-size app (serve) end to end against the bare
//     compile+link of the same main.rs outside the jail and the service
//     (the service's own flags), interleaved.
//   - where a compile's time goes: rustc's phases for the cold mid-size
//     app and for a warm edit of hello (RUSTC_BOOTSTRAP=1 -Z time-passes,
//     outside the service: a measuring tool of this benchmark only).
//
// The service starts with an empty state directory (no memo, no stored
// modules, no incremental directories); every request is a stub the
// service has not seen, so nothing is answered from a cache.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/bench"
	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

type options struct {
	bin, out, example, programs, nativeDir string
	edits, cold, mid                       int
}

func main() {
	jail.MaybeInit()
	var o options
	flag.StringVar(&o.bin, "bin", "bin/rocket-sandbox", "service binary")
	flag.StringVar(&o.out, "out", "bench/results/edit-run.md", "markdown output")
	flag.StringVar(&o.example, "example", "../shared/rocket-examples/hello/src/main.rs", "Rocket's hello example")
	flag.StringVar(&o.programs, "programs", "bench/programs", "benchmark programs (midapp.rs)")
	flag.StringVar(&o.nativeDir, "native-dir", "bin/editbench-native", "the native cargo project (kept: its dependencies stay built)")
	flag.IntVar(&o.edits, "edits", 8, "edits measured, with a session and natively")
	flag.IntVar(&o.cold, "cold", 3, "edits measured without a session")
	flag.IntVar(&o.mid, "mid", 3, "cold mid-size apps measured")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "editbench:", err)
		os.Exit(1)
	}
}

const original = `"Hello, world!"`

func run(o options) error {
	m, err := toolchain.Load(toolchain.DefaultStateDir())
	if err != nil {
		return err
	}
	src, err := os.ReadFile(o.example)
	if err != nil {
		return err
	}
	if !bytes.Contains(src, []byte(original)) {
		return fmt.Errorf("%s has no %s to edit", o.example, original)
	}
	mid, err := os.ReadFile(filepath.Join(o.programs, "midapp.rs"))
	if err != nil {
		return err
	}
	nonce := randomToken()[:8]
	edit := func(i int) (string, string) {
		greeting := fmt.Sprintf("Hello, world! (edit %s-%d)", nonce, i)
		return strings.Replace(string(src), original, strconv.Quote(greeting), 1), greeting
	}

	fmt.Fprintln(os.Stderr, "[bench] native: cargo build of the example (dependencies)")
	native, err := prepareNative(o.nativeDir, src)
	if err != nil {
		return err
	}

	state, err := os.MkdirTemp("", "editbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	cfg := map[string]any{
		"cache": map[string]any{
			"results": map[string]any{"dir": filepath.Join(state, "results")},
			"modules": map[string]any{"dir": filepath.Join(state, "modules")},
		},
		"runtime":     map[string]any{"compilation_cache_dir": filepath.Join(state, "wazero")},
		"incremental": map[string]any{"dir": filepath.Join(state, "incremental")},
	}
	svc, err := bench.StartService(o.bin, state, cfg)
	if err != nil {
		return err
	}
	defer svc.Stop()
	session := randomToken()

	// The session's first compile of the app: from an empty directory.
	stub0, greeting0 := edit(0)
	first, err := serveHello(svc, stub0, greeting0, session)
	if err != nil {
		return err
	}
	if _, _, err := native.build(stub0); err != nil { // the native side's first edit, unmeasured
		return err
	}

	var warm, nat, warmCompile, warmCPU, natCPU bench.Sample
	for i := 1; i <= o.edits; i++ {
		stub, greeting := edit(i)
		fmt.Fprintf(os.Stderr, "[bench] edit %d/%d\n", i, o.edits)
		r, err := serveHello(svc, stub, greeting, session)
		if err != nil {
			return err
		}
		warm.Durations = append(warm.Durations, r.wall)
		warmCompile.Durations = append(warmCompile.Durations, r.compile)
		warmCPU.Durations = append(warmCPU.Durations, r.cpu)
		d, cpu, err := native.build(stub)
		if err != nil {
			return err
		}
		nat.Durations = append(nat.Durations, d)
		natCPU.Durations = append(natCPU.Durations, cpu)
	}
	var cold, coldCPU bench.Sample
	for i := 1; i <= o.cold; i++ {
		stub, greeting := edit(1000 + i)
		fmt.Fprintf(os.Stderr, "[bench] edit without a session %d/%d\n", i, o.cold)
		r, err := serveHello(svc, stub, greeting, "")
		if err != nil {
			return err
		}
		cold.Durations = append(cold.Durations, r.wall)
		coldCPU.Durations = append(coldCPU.Durations, r.cpu)
	}

	// Cold mid-size apps, each against the bare compile+link of the same
	// main.rs, interleaved; and through a second service whose jail gives
	// a compile two CPUs instead of one (jail.cpu_quota_millicores 2000),
	// so its 16 codegen units can compile in parallel as the bare
	// compile's do.
	state2, err := os.MkdirTemp("", "editbench-2cpu-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state2)
	cfg2 := map[string]any{
		"cache": map[string]any{
			"results": map[string]any{"dir": filepath.Join(state2, "results")},
			"modules": map[string]any{"dir": filepath.Join(state2, "modules")},
		},
		"runtime":     map[string]any{"compilation_cache_dir": filepath.Join(state2, "wazero")},
		"incremental": map[string]any{"dir": filepath.Join(state2, "incremental")},
		"jail":        map[string]any{"cpu_quota_millicores": 2000},
	}
	svc2, err := bench.StartService(o.bin, state2, cfg2)
	if err != nil {
		return err
	}
	defer svc2.Stop()
	c := compiler.New(m, m.Wasm(), &jail.Host{}, compiler.Config{})
	var midE2E, midBare, midCPU, midBareCPU, mid2 bench.Sample
	for i := 1; i <= o.mid; i++ {
		fmt.Fprintf(os.Stderr, "[bench] cold mid-size app %d/%d\n", i, o.mid)
		stub := string(mid) + fmt.Sprintf("\n// editbench %s mid %d\n", nonce, i)
		r, err := serveMid(svc, stub)
		if err != nil {
			return err
		}
		midE2E.Durations = append(midE2E.Durations, r.wall)
		midCPU.Durations = append(midCPU.Durations, r.cpu)
		bare := stub + "// bare\n"
		start := time.Now()
		out, err := c.Compile(context.Background(), compiler.Input{Source: []byte(bare)})
		if err != nil {
			return err
		}
		if !out.Success {
			return fmt.Errorf("bare mid-size compile failed: %s", out.Stderr)
		}
		midBare.Durations = append(midBare.Durations, time.Since(start))
		midBareCPU.Durations = append(midBareCPU.Durations, out.Usage.CPU)
		r2, err := serveMid(svc2, stub+"// two CPUs\n")
		if err != nil {
			return err
		}
		mid2.Durations = append(mid2.Durations, r2.wall)
	}

	fmt.Fprintln(os.Stderr, "[bench] phases")
	midPhases, err := phases(m, c, [][]byte{mid})
	if err != nil {
		return err
	}
	e1, _ := edit(2001)
	e2, _ := edit(2002)
	editPhases, err := phases(m, c, [][]byte{[]byte(e1), []byte(e2)})
	if err != nil {
		return err
	}
	return report(o, m, first, warm, warmCompile, nat, cold, midE2E, midBare, warmCPU, natCPU, coldCPU, midCPU, midBareCPU, mid2, midPhases, editPhases)
}

func randomToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

type helloRun struct{ wall, compile, cpu time.Duration }

type answer struct {
	Status  string `json:"status"`
	Compile *struct {
		DurationMS int64 `json:"duration_ms"`
		Cached     bool  `json:"cached"`
		Usage      struct {
			CPUMS int64 `json:"cpu_ms"`
		} `json:"usage"`
	} `json:"compile"`
	Run *struct {
		Result json.RawMessage `json:"result"`
	} `json:"run"`
}

func post(svc *bench.Service, req map[string]any) (time.Duration, answer, []byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return 0, answer{}, nil, err
	}
	start := time.Now()
	resp, err := svc.Client.Post(svc.URL+"/api/v1/execute", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, answer{}, nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	wall := time.Since(start)
	if err != nil {
		return 0, answer{}, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, answer{}, nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, raw)
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return 0, answer{}, nil, err
	}
	if a.Status != "ok" || a.Compile == nil || a.Compile.Cached {
		return 0, answer{}, nil, fmt.Errorf("want a fresh compile that runs ok: %.400s", raw)
	}
	return wall, a, raw, nil
}

// serveHello sends the edited example with the session (none: "") and
// checks that the app answers with the edited string.
func serveHello(svc *bench.Service, stub, greeting, session string) (helloRun, error) {
	req := map[string]any{"harness": "serve", "stub": stub, "args": map[string]any{"uri": "/hello/world"}}
	if session != "" {
		req["session"] = session
	}
	wall, a, raw, err := post(svc, req)
	if err != nil {
		return helloRun{}, err
	}
	if !bytes.Contains(a.Run.Result, []byte(strconv.Quote(greeting))) {
		return helloRun{}, fmt.Errorf("the app did not answer %q: %.400s", greeting, raw)
	}
	return helloRun{wall, time.Duration(a.Compile.DurationMS) * time.Millisecond, time.Duration(a.Compile.Usage.CPUMS) * time.Millisecond}, nil
}

func serveMid(svc *bench.Service, stub string) (helloRun, error) {
	wall, a, _, err := post(svc, map[string]any{"harness": "serve", "stub": stub, "args": map[string]any{"requests": []any{
		map[string]any{"uri": "/hello/bench?lang=fr"},
		map[string]any{"method": "POST", "uri": "/todos", "headers": map[string]string{"Content-Type": "application/json"},
			"body": `{"id": 1, "title": "t", "done": false}`},
		map[string]any{"uri": "/todos"},
	}}})
	if err != nil {
		return helloRun{}, err
	}
	return helloRun{wall, time.Duration(a.Compile.DurationMS) * time.Millisecond, time.Duration(a.Compile.Usage.CPUMS) * time.Millisecond}, nil
}

// nativeProject is the example as a developer has it: its own cargo
// package, dependencies built once (debug), edited and rebuilt.
type nativeProject struct{ dir string }

func prepareNative(dir string, src []byte) (*nativeProject, error) {
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		return nil, err
	}
	manifest := "[package]\nname = \"hello\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n" +
		"[dependencies]\nrocket = \"=0.5.1\"\n\n[workspace]\n"
	if err := os.WriteFile(filepath.Join(dir, "Cargo.toml"), []byte(manifest), 0o644); err != nil {
		return nil, err
	}
	p := &nativeProject{dir: dir}
	_, _, err := p.build(string(src))
	return p, err
}

// build writes main.rs and runs `cargo build` (debug, incremental: cargo's
// dev profile), returning its wall time and the CPU time of cargo and
// every process it waited for (rustc, the linker).
func (p *nativeProject) build(src string) (time.Duration, time.Duration, error) {
	// The example's tests module is cfg(test); its file is not needed.
	src = strings.Replace(src, "#[cfg(test)] mod tests;", "", 1)
	if err := os.WriteFile(filepath.Join(p.dir, "src", "main.rs"), []byte(src), 0o644); err != nil {
		return 0, 0, err
	}
	cmd := exec.Command("/usr/bin/cargo", "build", "--offline", "--quiet")
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "RUSTC=/usr/bin/rustc", "RUSTDOC=/usr/bin/rustdoc",
		"CARGO_HOME="+filepath.Join(toolchain.DefaultStateDir(), "reference", "cargo-home"))
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("cargo build: %w\n%s", err, out)
	}
	return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// phase is one of rustc's -Z time-passes lines.
type phase struct {
	name string
	secs float64
}

// reported are the phases the table shows, in the order they run.
var reported = []string{"macro_expand_crate", "type_check_crate", "MIR_borrow_checking",
	"monomorphization_collector_graph_walk", "codegen_to_LLVM_IR", "LLVM_passes", "finish_ongoing_codegen",
	"incr_comp_serialize_result_cache", "link", "total"}

// phases compiles each source in turn in one work directory with the
// service's flags and -Z time-passes (the same flags every time, so the
// later ones are incremental from the earlier), returning the last
// compile's phases.
func phases(m *toolchain.Manifest, c *compiler.Compiler, sources [][]byte) ([]phase, error) {
	dir, err := os.MkdirTemp("", "editbench-phases-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var out []byte
	for _, src := range sources {
		if err := os.WriteFile(filepath.Join(dir, "main.rs"), src, 0o644); err != nil {
			return nil, err
		}
		args := append(c.Args("2021"), "-Z", "time-passes")
		cmd := exec.Command(m.Rustc, args...)
		cmd.Dir = dir
		cmd.Env = append(append([]string{}, m.Wasm().Env...), "RUSTC_BOOTSTRAP=1", "PATH=/usr/bin:/bin")
		if out, err = cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("rustc -Z time-passes: %w\n%.2000s", err, out)
		}
	}
	byName := map[string]float64{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "time:" {
			continue
		}
		secs, err := strconv.ParseFloat(strings.TrimSuffix(f[1], ";"), 64)
		if err != nil {
			continue
		}
		name := f[len(f)-1]
		byName[name] = max(byName[name], secs)
	}
	var ps []phase
	for _, n := range reported {
		if s, ok := byName[n]; ok {
			ps = append(ps, phase{n, s})
		}
	}
	return ps, nil
}

func report(o options, m *toolchain.Manifest, first helloRun, warm, warmCompile, nat, cold, midE2E, midBare bench.Sample,
	warmCPU, natCPU, coldCPU, midCPU, midBareCPU, mid2 bench.Sample, midPhases, editPhases []phase) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Edit → Run and cold compiles\n\nProduced by `make bench-edit` (`go run ./bench/editbench`) on %s, %d CPUs (shared with other work), %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), m.RustcVersion)
	b.WriteString("Cache state: the service starts with an empty state directory (memo, module store, wazero's cache, incremental directories); " +
		"every request is a stub it has not seen (each edit a new string in `world()`), so every request compiles (`compile.cached` false, checked). " +
		"**warm** = the session's incremental directory holds the previous edit's compile. The native side is the example as its own cargo package, " +
		"dependencies built before the first measurement (debug profile: incremental, 256 codegen units by cargo's default), `cargo build --offline` with `RUSTC=/usr/bin/rustc`, " +
		"the same edits, interleaved with the service's edit by edit.\n\n")
	b.WriteString("## Edit → Run: Rocket's hello example, one handler's string changed\n\n| case | runs | p50 ms | p95 ms | ÷ native p50 |\n|---|---|---|---|---|\n")
	row := func(label string, s bench.Sample) {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %.2f× |\n", label, len(s.Durations), bench.Ms(s.Quantile(0.5)), bench.Ms(s.Quantile(0.95)),
			float64(s.Quantile(0.5))/float64(nat.Quantile(0.5)))
	}
	row("native `cargo build` of the edit (baseline; deps built, incremental)", nat)
	row("**service, edit with a session (warm incremental directory), end to end**", warm)
	row("the same: the compile alone (`compile.duration_ms`)", warmCompile)
	row("service, edit without a session (cold: empty directory), end to end", cold)
	fmt.Fprintf(&b, "\nThe session's first compile of the app (cold directory), end to end: %s ms.\n", bench.Ms(first.wall))
	b.WriteString("\nCPU time of the same compiles (load-independent: wall times above stretch with the machine's load; the service's is the compile jail's cgroup, `compile.usage.cpu_ms`; the native one cargo's and its children's):\n\n" +
		"| case | p50 CPU ms | p95 CPU ms | ÷ native p50 |\n|---|---|---|---|\n")
	cpuRow := func(label string, s, base bench.Sample) {
		fmt.Fprintf(&b, "| %s | %s | %s | %.2f× |\n", label, bench.Ms(s.Quantile(0.5)), bench.Ms(s.Quantile(0.95)), float64(s.Quantile(0.5))/float64(base.Quantile(0.5)))
	}
	cpuRow("native `cargo build` of the edit", natCPU, natCPU)
	cpuRow("service, edit with a session (warm)", warmCPU, natCPU)
	cpuRow("service, edit without a session (cold)", coldCPU, natCPU)

	b.WriteString("\n## Cold new mid-size app (serve, 3 requests) ÷ bare compile+link of the same main.rs\n\n" +
		"Bare = `compiler.Compile` through `jail.Host` (no jail, no service) with the service's flags, right after each service request.\n\n" +
		"| case | runs | p50 ms | p95 ms | ÷ bare p50 |\n|---|---|---|---|---|\n")
	for _, r := range []struct {
		label string
		s     bench.Sample
	}{{"bare compile+link (baseline)", midBare}, {"**service, cold new app, end to end**", midE2E},
		{"service whose jail gives a compile 2 CPUs (`jail.cpu_quota_millicores` 2000), cold new app, end to end", mid2}} {
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %.2f× |\n", r.label, len(r.s.Durations), bench.Ms(r.s.Quantile(0.5)), bench.Ms(r.s.Quantile(0.95)),
			float64(r.s.Quantile(0.5))/float64(midBare.Quantile(0.5)))
	}
	fmt.Fprintf(&b, "\nCPU: bare p50 %s ms, the service's compile (jail cgroup) p50 %s ms.\n", bench.Ms(midBareCPU.Quantile(0.5)), bench.Ms(midCPU.Quantile(0.5)))

	b.WriteString("\n## Where a compile's time goes (rustc's phases, seconds)\n\n" +
		"`RUSTC_BOOTSTRAP=1 rustc <the service's flags> -Z time-passes`, outside the jail; one compile each. Phases overlap " +
		"(`LLVM_passes` runs inside `finish_ongoing_codegen`; `total` is the whole).\n\n| phase | cold mid-size app | warm edit of hello |\n|---|---|---|\n")
	names := map[string]bool{}
	for _, p := range append(append([]phase{}, midPhases...), editPhases...) {
		names[p.name] = true
	}
	val := func(ps []phase, n string) string {
		for _, p := range ps {
			if p.name == n {
				return fmt.Sprintf("%.3f", p.secs)
			}
		}
		return "—"
	}
	for _, n := range reported {
		if names[n] {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", n, val(midPhases, n), val(editPhases, n))
		}
	}
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	fmt.Print(b.String())
	return os.WriteFile(o.out, []byte(b.String()), 0o644)
}
