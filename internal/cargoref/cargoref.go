// Package cargoref is the parity tool's reference of record: documentation
// code blocks judged by real `cargo test --doc` — Debian's cargo and
// rustdoc, natively, with cargo's environment — instead of our own rustc
// command line. rustdoc itself then decides what the sandbox's example
// harness imitates: ignore, no_run, should_panic, compile_fail and its
// error codes, hidden lines, hoisting, the generated fn main, the edition.
//
// Two kinds of input:
//
//   - Blocks (Doctests): each becomes the doc comment of a module of a
//     generated crate named rocket_docs_tests — Rocket's own name for the
//     crate its guide runs as, so hidden lines like
//     `# rocket_docs_tests::client(..)` mean what they mean upstream — whose
//     library is harnesses/docs-tests and whose dependencies are the
//     prepared profile's (harnesses/deps).
//   - A published crate's own doctests (CrateDoctests): `cargo test --doc`
//     on a copy of its source with its dev-dependencies, outcomes keyed by
//     the file and line of each block's opening fence.
//
// Dependency versions are the profile's: harnesses/Cargo.lock is copied in,
// with the crates the profile patches for wasm32-wasip1 pointed back at
// crates.io at the same versions (every patch is cfg(target_os = "wasi"),
// so natively that is Rocket as published). CARGO_HOME and the target dir
// live under the state dir, so the dependencies download and build once
// (`setup --reference` does it) and later runs are offline. Verdicts are
// cached by input digest, so a rerun costs nothing.
//
// It is not a sandbox: the doctests run on the host, unjailed; only trusted
// inputs (the guide, Rocket's own source) may be given to it.
package cargoref

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/digest"
)

// Config says where the reference lives and which tools it runs.
type Config struct {
	// SourceDir is the project checkout (harnesses/ holds the profile).
	SourceDir string
	// Dir holds the reference's CARGO_HOME, target dir, generated crates
	// and cached verdicts: Dir(stateDir).
	Dir string
	// Cargo, Rustc and Rustdoc are Debian's (rustup's, first on PATH, is
	// another version). Defaults: /usr/bin/cargo, /usr/bin/rustc,
	// /usr/bin/rustdoc.
	Cargo, Rustc, Rustdoc string
	// Log receives progress lines (default: io.Discard).
	Log io.Writer
}

// Dir is where the reference lives in a state dir.
func Dir(stateDir string) string { return filepath.Join(stateDir, "reference") }

func (c Config) withDefaults() (Config, error) {
	if c.SourceDir == "" || c.Dir == "" {
		return c, errors.New("cargoref: SourceDir and Dir are required")
	}
	if c.Cargo == "" {
		c.Cargo = "/usr/bin/cargo"
	}
	if c.Rustc == "" {
		c.Rustc = "/usr/bin/rustc"
	}
	if c.Rustdoc == "" {
		c.Rustdoc = "/usr/bin/rustdoc"
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	var err error
	if c.SourceDir, err = filepath.Abs(c.SourceDir); err != nil {
		return c, err
	}
	if c.Dir, err = filepath.Abs(c.Dir); err != nil {
		return c, err
	}
	return c, nil
}

// Block is one documentation code block: its fence's info string and its
// code, as the example harness takes them.
type Block struct {
	Attrs string
	Code  string
}

// Verdict is cargo's judgement of one block in the example harness's
// vocabulary: "passed" (libtest's ok), "failed" (FAILED: it did not
// compile, or the run did not end as its attributes expect), "ignored"
// (libtest's ignored, or a block rustdoc does not test at all), or "error"
// when cargo gave no verdict. Reason says which, in cargo's words.
type Verdict struct {
	Outcome string `json:"outcome"`
	Reason  string `json:"reason"`
}

// env is the environment of every cargo run: Debian's tools, never
// rustup's, and the reference's own CARGO_HOME and target dir.
func (c Config) env() []string {
	return []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + os.Getenv("HOME"),
		"CARGO_HOME=" + filepath.Join(c.Dir, "cargo-home"),
		"CARGO_TARGET_DIR=" + filepath.Join(c.Dir, "target"),
		"RUSTC=" + c.Rustc,
		"RUSTDOC=" + c.Rustdoc,
		"CARGO_TERM_COLOR=never",
	}
}

// toolsVersion identifies the compiler, rustdoc and cargo: part of every
// cache key.
func (c Config) toolsVersion(ctx context.Context) (string, error) {
	var parts []string
	for _, tool := range []string{c.Rustc, c.Rustdoc, c.Cargo} {
		out, err := exec.CommandContext(ctx, tool, "-V").Output()
		if err != nil {
			return "", fmt.Errorf("cargoref: %s -V: %w", tool, err)
		}
		parts = append(parts, strings.TrimSpace(string(out)))
	}
	return strings.Join(parts, "\n"), nil
}

// lock serializes the users of one generated crate (a test and `make
// parity` may run at once), which rewrite its files per run; cargo's own
// lock serializes their builds in the shared target dir.
func (c Config) lock(crate string) (func(), error) {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, ".lock-"+crate), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("cargoref: lock %s: %w", c.Dir, err)
	}
	return func() { f.Close() }, nil
}

// profileLock is harnesses/Cargo.lock with the crates the profile patches
// (its [patch.crates-io] entries, path-sourced in the lock) pointed back at
// crates.io at the same versions; cargo fills in their checksums.
func (c Config) profileLock() ([]byte, error) {
	lock, err := os.ReadFile(filepath.Join(c.SourceDir, "harnesses", "Cargo.lock"))
	if err != nil {
		return nil, err
	}
	manifest, err := os.ReadFile(filepath.Join(c.SourceDir, "harnesses", "Cargo.toml"))
	if err != nil {
		return nil, err
	}
	patched := patchedCrates(string(manifest))
	if len(patched) == 0 {
		return nil, errors.New("cargoref: harnesses/Cargo.toml patches no crate; expected [patch.crates-io] entries")
	}
	return repointLock(lock, patched), nil
}

var patchLine = regexp.MustCompile(`(?m)^\s*([A-Za-z0-9_-]+)\s*=\s*\{\s*path\s*=\s*"[^"]*/([A-Za-z0-9_-]+)-([0-9][^"/-]*)"\s*\}`)

// patchedCrates reads [patch.crates-io] entries of the form
// `tokio = { path = ".patched/tokio-1.54.1" }` as name -> version.
func patchedCrates(manifest string) map[string]string {
	_, section, ok := strings.Cut(manifest, "[patch.crates-io]")
	if !ok {
		return nil
	}
	if i := strings.Index(section, "\n["); i >= 0 {
		section = section[:i]
	}
	out := map[string]string{}
	for _, m := range patchLine.FindAllStringSubmatch(section, -1) {
		if m[1] == m[2] {
			out[m[1]] = m[3]
		}
	}
	return out
}

const cratesIO = `source = "registry+https://github.com/rust-lang/crates.io-index"`

// repointLock adds the crates.io source to the lock entries of patched
// crates (name -> version) that have none.
func repointLock(lock []byte, patched map[string]string) []byte {
	entries := strings.Split(string(lock), "\n[[package]]\n")
	for i, e := range entries {
		if i == 0 || strings.Contains(e, "\nsource = ") {
			continue
		}
		name, version := field(e, "name"), field(e, "version")
		if v, ok := patched[name]; ok && v == version {
			entries[i] = strings.Replace(e, "version = \""+version+"\"\n", "version = \""+version+"\"\n"+cratesIO+"\n", 1)
		}
	}
	return []byte(strings.Join(entries, "\n[[package]]\n"))
}

func field(entry, key string) string {
	for _, l := range strings.Split(entry, "\n") {
		if v, ok := strings.CutPrefix(l, key+" = \""); ok {
			return strings.TrimSuffix(v, "\"")
		}
	}
	return ""
}

// writeCrate writes files into dir (creating it), keeping the copy of
// Cargo.lock cargo has completed (checksums) unless the lock given
// changed, and reports whether the crate's dependencies must be fetched
// (a first run, or another manifest or lock).
func writeCrate(dir string, manifest, lock []byte, files map[string][]byte) (fetch bool, stamp string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, "", err
	}
	stamp = digest.Parts(manifest, lock)
	stampFile := filepath.Join(dir, ".fetched")
	old, _ := os.ReadFile(stampFile)
	fetch = string(old) != stamp
	all := map[string][]byte{"Cargo.toml": manifest}
	if fetch {
		all["Cargo.lock"] = lock
	}
	for name, body := range files {
		all[name] = body
	}
	for name, body := range all {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return false, "", err
		}
		if cur, err := os.ReadFile(p); err == nil && bytes.Equal(cur, body) {
			continue // unchanged: keep its mtime, so cargo keeps its build
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			return false, "", err
		}
	}
	return fetch, stamp, nil
}

// prepare fetches dir's dependencies when writeCrate said so (the one step
// that needs the network) and returns the flags of a run: --offline once
// they are fetched.
func (c Config) prepare(ctx context.Context, dir string, fetch bool, stamp string) ([]string, error) {
	if fetch {
		if _, _, err := c.cargo(ctx, dir, "cargo fetch", "fetch"); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, ".fetched"), []byte(stamp), 0o644); err != nil {
			return nil, err
		}
	}
	return []string{"--offline"}, nil
}

// cargo runs cargo in dir and returns its stdout and stderr; a non-zero
// exit is an error only when cargo itself failed (a failing doctest exits
// 101 too: callers that run tests check the output, not the status). It
// logs a line every 30 s so a long build shows it is alive.
func (c Config) cargo(ctx context.Context, dir, label string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, c.Cargo, args...)
	cmd.Dir = dir
	cmd.Env = c.env()
	var out bytes.Buffer
	errs := &lastLine{}
	cmd.Stdout, cmd.Stderr = &out, errs
	start := time.Now()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(c.Log, "[reference] %s: %s so far; %s\n", label, time.Since(start).Round(time.Second), errs.last())
			}
		}
	}()
	err = cmd.Run()
	close(done)
	fmt.Fprintf(c.Log, "[reference] %s: %s\n", label, time.Since(start).Round(100*time.Millisecond))
	if err != nil {
		err = fmt.Errorf("cargo %s (in %s): %w\n%s", strings.Join(args, " "), dir, err, tail(errs.buf.String(), 4000))
	}
	return out.Bytes(), errs.buf.Bytes(), err
}

// lastLine keeps what is written to it and remembers the last line.
type lastLine struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lastLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lastLine) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.TrimRight(l.buf.String(), "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSpace(s)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Test is one doctest libtest reported: where rustdoc found it (the file
// relative to the crate root, the item, the line of the opening fence), the
// mode rustdoc added to its name ("compile" for no_run, "compile fail"),
// and the verdict.
type Test struct {
	File string `json:"file"`
	Item string `json:"item"`
	Line int    `json:"line"`
	Mode string `json:"mode,omitempty"`
	Verdict
}

var (
	resultLine = regexp.MustCompile(`^test (.+) \.\.\. (ok|FAILED|ignored)(?:, (.*))?$`)
	testName   = regexp.MustCompile(`^(\S+) - (?:(.*) )?\(line (\d+)\)(?: - (compile fail|compile))?$`)
	failHeader = regexp.MustCompile(`^---- (.+) stdout ----$`)
)

// parseTests reads libtest's plain output of a doctest run: one
// "test NAME ... RESULT" line per doctest and, for each failure, a
// "---- NAME stdout ----" section with rustdoc's account of it. libtest's
// JSON format would need -Z unstable-options, and with it RUSTC_BOOTSTRAP
// for the whole run, which changes what build scripts detect.
func parseTests(stdout []byte) []Test {
	var tests []Test
	byName := map[string]int{}
	failures := map[string][]string{}
	var cur string
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := resultLine.FindStringSubmatch(line); m != nil {
			n := testName.FindStringSubmatch(m[1])
			if n == nil {
				continue
			}
			ln, _ := strconv.Atoi(n[3])
			t := Test{File: n[1], Item: n[2], Line: ln, Mode: n[4]}
			switch m[2] {
			case "ok":
				t.Verdict = Verdict{Outcome: "passed", Reason: "cargo test --doc: ok" + modeNote(t.Mode)}
			case "ignored":
				t.Verdict = Verdict{Outcome: "ignored", Reason: "cargo test --doc: ignored"}
			default:
				t.Verdict = Verdict{Outcome: "failed", Reason: "cargo test --doc: FAILED" + modeNote(t.Mode)}
			}
			byName[m[1]] = len(tests)
			tests = append(tests, t)
			cur = ""
			continue
		}
		if m := failHeader.FindStringSubmatch(line); m != nil {
			cur = m[1]
			continue
		}
		if line == "failures:" || strings.HasPrefix(line, "test result:") {
			cur = ""
			continue
		}
		if cur != "" {
			failures[cur] = append(failures[cur], line)
		}
	}
	for name, lines := range failures {
		if i, ok := byName[name]; ok && tests[i].Outcome == "failed" {
			tests[i].Reason += ": " + failureReason(lines)
		}
	}
	return tests
}

func modeNote(mode string) string {
	switch mode {
	case "compile":
		return " (no_run: compiled only)"
	case "compile fail":
		return " (compile_fail)"
	}
	return ""
}

// failureReason condenses rustdoc's account of a failed doctest to its
// verdict line and the first error or panic message.
func failureReason(lines []string) string {
	var verdict, first string
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case verdict == "" && (strings.HasPrefix(t, "Couldn't compile the test") || strings.HasPrefix(t, "Test executable") ||
			strings.HasPrefix(t, "Test compiled successfully") || strings.HasPrefix(t, "Some expected error codes")):
			verdict = t
		case first == "" && strings.HasPrefix(t, "error"):
			first = t
		case first == "" && strings.Contains(t, "panicked at") && i+1 < len(lines):
			first = "panicked: " + strings.TrimSpace(lines[i+1])
		}
	}
	if verdict == "" && len(lines) > 0 {
		verdict = strings.TrimSpace(lines[0])
	}
	if first != "" && first != verdict {
		verdict += " " + first
	}
	if len(verdict) > 300 {
		verdict = verdict[:300] + "…"
	}
	return verdict
}

// cache stores verdicts by key under dir, one small JSON file each.
type cache struct{ dir string }

func (c cache) get(key string, v any) bool {
	b, err := os.ReadFile(filepath.Join(c.dir, key+".json"))
	return err == nil && json.Unmarshal(b, v) == nil
}

func (c cache) put(key string, v any) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := filepath.Join(c.dir, key+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(c.dir, key+".json"))
}

// sortedKeys returns m's keys in byte order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
