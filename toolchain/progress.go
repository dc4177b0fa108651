package toolchain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progress reports a long cargo build while it runs: crates done out of
// the total, the crate being compiled, the time so far and an estimate of
// what remains. On a terminal it is one line rewritten in place; anywhere
// else (CI logs, a pipe) a plain line about every interval, so a log shows
// the build is alive without drowning in it.
type progress struct {
	out      io.Writer
	label    string
	tty      bool
	interval time.Duration
	now      func() time.Time

	mu       sync.Mutex
	start    time.Time
	total    int // 0: unknown
	done     int
	built    int // done minus those cargo found fresh
	current  string
	phase    string // "downloading" before the first compile
	lastLine time.Time
	drawn    bool
}

func newProgress(out io.Writer, label string, total int) *progress {
	p := &progress{out: out, label: label, total: total, interval: 10 * time.Second, now: time.Now, tty: isTerminal(out)}
	p.start = p.now()
	p.lastLine = p.start
	return p
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// cargoStatus reads one line of cargo's human status output (stderr):
// "   Compiling tokio v1.54.1", "  Downloaded serde v1.0.0".
func (p *progress) cargoStatus(line string) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return
	}
	p.mu.Lock()
	switch f[0] {
	case "Compiling":
		p.current = f[1]
		p.phase = ""
	case "Downloading", "Downloaded":
		if p.done == 0 {
			p.phase = "downloading crates"
		}
	}
	p.mu.Unlock()
	p.tick(false)
}

// artifact counts one finished unit (a compiler-artifact message); fresh
// ones were already built and took no time.
func (p *progress) artifact(fresh bool) {
	p.mu.Lock()
	p.done++
	if !fresh {
		p.built++
	}
	p.mu.Unlock()
	p.tick(false)
}

// line renders the current state.
func (p *progress) line() string {
	elapsed := p.now().Sub(p.start)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", p.label)
	if p.total > 0 {
		fmt.Fprintf(&b, "%d/%d crates", min(p.done, p.total), p.total)
	} else {
		fmt.Fprintf(&b, "%d crates", p.done)
	}
	switch {
	case p.phase != "":
		fmt.Fprintf(&b, ", %s", p.phase)
	case p.current != "":
		fmt.Fprintf(&b, ", compiling %s", p.current)
	}
	fmt.Fprintf(&b, ", %s elapsed", elapsed.Round(time.Second))
	if rem, ok := p.remaining(elapsed); ok {
		fmt.Fprintf(&b, ", about %s left", rem.Round(time.Second))
	}
	return b.String()
}

// remaining extrapolates from the rate of the crates compiled so far (not
// those cargo found fresh); it says nothing until a few are done, when the
// rate means something.
func (p *progress) remaining(elapsed time.Duration) (time.Duration, bool) {
	if p.total == 0 || p.built < 5 || p.done >= p.total {
		return 0, false
	}
	perCrate := elapsed / time.Duration(p.built)
	return perCrate * time.Duration(p.total-p.done), true
}

// tick redraws the terminal line, or prints a plain line when an interval
// has passed (force: always).
func (p *progress) tick(force bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.tty {
		fmt.Fprintf(p.out, "\r\033[K%s", p.line())
		p.drawn = true
		return
	}
	if force || now.Sub(p.lastLine) >= p.interval {
		fmt.Fprintln(p.out, p.line())
		p.lastLine = now
	}
}

// finish clears the terminal line; the caller prints the step's summary.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.drawn {
		fmt.Fprint(p.out, "\r\033[K")
	}
}

// heartbeat prints a line every interval even when nothing new happened
// (a single crate such as the std library can compile for a minute).
func (p *progress) heartbeat(ctx context.Context) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		period := p.interval
		if p.tty {
			period = time.Second
		}
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.tick(false)
			}
		}
	}()
	return func() { cancel(); <-done; p.finish() }
}

// cargoBuild runs a cargo build whose arguments include
// --message-format=json…, reporting progress to s.cfg.Log as it goes, and
// returns cargo's JSON messages (stdout). The total comes from cargo's unit
// graph (its count of units that compile); if that cannot be had, the
// count of crates done is shown without a total.
func (s *setup) cargoBuild(ctx context.Context, label, dir string, env []string, args ...string) ([]byte, error) {
	total := s.unitCount(ctx, dir, env, args)
	p := newProgress(s.cfg.Log, label, total)
	stop := p.heartbeat(ctx)
	defer stop()

	cmd := exec.CommandContext(ctx, s.cfg.Cargo, args...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, env...), "CARGO_TERM_PROGRESS_WHEN=never")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", s.cfg.Cargo, err)
	}
	var tail tailBuffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			tail.add(sc.Text())
			p.cargoStatus(sc.Text())
		}
	}()
	var out bytes.Buffer
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		out.Write(line)
		out.WriteByte('\n')
		if bytes.Contains(line, []byte(`"reason":"compiler-artifact"`)) {
			p.artifact(bytes.Contains(line, []byte(`"fresh":true`)))
		}
	}
	wg.Wait()
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", s.cfg.Cargo, strings.Join(args, " "), err, tail.String())
	}
	return out.Bytes(), nil
}

// unitCount asks cargo how many units the build compiles (its unit graph,
// an unstable flag cargo accepts with RUSTC_BOOTSTRAP; nothing is built).
// 0 when it cannot tell.
func (s *setup) unitCount(ctx context.Context, dir string, env []string, args []string) int {
	var graphArgs []string
	for _, a := range args {
		if !strings.HasPrefix(a, "--message-format") {
			graphArgs = append(graphArgs, a)
		}
	}
	graphArgs = append(graphArgs, "--unit-graph", "-Zunstable-options")
	cmd := exec.CommandContext(ctx, s.cfg.Cargo, graphArgs...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{}, env...), "RUSTC_BOOTSTRAP=1")
	out, err := cmd.Output()
	if err != nil {
		return 0
	}
	return countBuildUnits(out)
}

// countBuildUnits counts the units of a unit graph that compile something
// (each gives one compiler-artifact message); build-script runs do not.
func countBuildUnits(graph []byte) int {
	var g struct {
		Units []struct {
			Mode string `json:"mode"`
		} `json:"units"`
	}
	if json.Unmarshal(graph, &g) != nil {
		return 0
	}
	n := 0
	for _, u := range g.Units {
		if u.Mode == "build" {
			n++
		}
	}
	return n
}

// tailBuffer keeps the last lines of a command's stderr for its error.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (t *tailBuffer) add(l string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, l)
	if len(t.lines) > 60 {
		t.lines = t.lines[len(t.lines)-60:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
