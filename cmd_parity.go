package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/compiler/jail"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// guideBlock is one ```rust code block of a documentation page.
type guideBlock struct {
	file  string
	line  int    // of the opening fence
	attrs string // the fence's info string, e.g. "rust,no_run"
	code  string
}

// extractBlocks reads every ```rust block (any info string starting with
// "rust") of the markdown files in dir, in file and line order.
func extractBlocks(dir string) ([]guideBlock, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []guideBlock
	for _, f := range files {
		if strings.EqualFold(filepath.Base(f), "README.md") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var cur *guideBlock
		var body []string
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		n := 0
		for sc.Scan() {
			n++
			line := sc.Text()
			trimmed := strings.TrimSpace(line)
			switch {
			case cur == nil && strings.HasPrefix(trimmed, "```"):
				info := strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
				if info == "rust" || strings.HasPrefix(info, "rust,") {
					cur, body = &guideBlock{file: filepath.Base(f), line: n, attrs: info}, nil
				} else if info != "" {
					// another language's block: skip to its end
					cur = &guideBlock{attrs: "-"}
				} else {
					cur = &guideBlock{attrs: "-"}
				}
			case cur != nil && trimmed == "```":
				if cur.attrs != "-" {
					// Indented fences (inside list items) indent their code.
					indent := len(line) - len(strings.TrimLeft(line, " "))
					for i, l := range body {
						if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
							body[i] = l[indent:]
						}
					}
					cur.code = strings.Join(body, "\n") + "\n"
					out = append(out, *cur)
				}
				cur = nil
			case cur != nil:
				body = append(body, line)
			}
		}
	}
	return out, nil
}

type parityRow struct {
	block                   guideBlock
	sandbox, native         string
	sandboxWhy, nativeWhy   string
	sandboxTime, nativeTime time.Duration
}

func cmdParity(ctx context.Context, argv []string) error {
	fs := flag.NewFlagSet("parity", flag.ContinueOnError)
	guide := fs.String("guide", filepath.Join("..", "shared", "rocket-guide"), "directory of markdown chapters")
	out := fs.String("out", "", "also write the markdown table here")
	limit := fs.Int("limit", 0, "only the first N blocks (0: all)")
	every := fs.Int("every", 1, "only every Nth block (a representative subset)")
	configPath := fs.String("config", "", "JSON config file")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	blocks, err := extractBlocks(*guide)
	if err != nil {
		return err
	}
	if len(blocks) == 0 {
		return fmt.Errorf("no ```rust blocks in %s", *guide)
	}
	var picked []guideBlock
	for i, b := range blocks {
		if i%*every == 0 {
			picked = append(picked, b)
		}
	}
	if *limit > 0 && len(picked) > *limit {
		picked = picked[:*limit]
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		return err
	}
	a, err := newApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	m, err := toolchain.Load(cfg.StateDir)
	if err != nil {
		return err
	}
	if err := m.HasReference(); err != nil {
		return err
	}
	native := compiler.NewNative(m, &jail.Host{}, cfg.Compiler)
	h, ok := harnesses.Default().Get("example")
	if !ok {
		return errors.New("no example harness")
	}

	start := time.Now()
	var rows []parityRow
	for i, b := range picked {
		args, _ := json.Marshal(map[string]string{"attrs": b.attrs})
		r := parityRow{block: b}
		t := time.Now()
		r.sandbox, r.sandboxWhy = sandboxVerdict(ctx, a.svc, b.code, args)
		r.sandboxTime = time.Since(t)
		t = time.Now()
		r.native, r.nativeWhy = nativeVerdict(ctx, native, h, b.code, args)
		r.nativeTime = time.Since(t)
		rows = append(rows, r)
		mark := "=="
		if r.sandbox != r.native {
			mark = "!="
		}
		fmt.Fprintf(os.Stderr, "[parity %d/%d] %s:%d %s: sandbox %s %s native %s\n", i+1, len(picked), b.file, b.line, b.attrs, r.sandbox, mark, r.native)
	}
	table := fmt.Sprintf("# Guide parity\n\nProduced by `make parity` (`rocket-sandbox parity`) on %s, %d CPUs: every ```rust block of %s through the `example` harness in the sandbox (jail + wasm32-wasip1 + wazero) and natively (the same harness and dependency profile built for the host, no jail). Outcomes are rustdoc's: passed, failed, ignored.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), goruntime.NumCPU(), *guide) + parityTable(rows, len(blocks), time.Since(start))
	fmt.Print(table)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(table), 0o644); err != nil {
			return err
		}
	}
	for _, r := range rows {
		if r.sandbox != r.native {
			return fmt.Errorf("parity: sandbox and native disagree on some blocks")
		}
	}
	return nil
}

func sandboxVerdict(ctx context.Context, svc *sandbox.Service, code string, args json.RawMessage) (string, string) {
	resp, err := svc.Execute(ctx, sandbox.Request{Harness: "example", Stub: code, Args: args})
	if err != nil {
		return "error", err.Error()
	}
	var v harnesses.ExampleVerdict
	if json.Unmarshal(resp.Result, &v) != nil || v.Outcome == "" {
		return "error", fmt.Sprintf("no verdict (status %s)", resp.Status)
	}
	return v.Outcome, v.Reason
}

// nativeVerdict builds the same harness's plan for the host with the same
// dependencies, without the jail, runs it, and has the harness report.
func nativeVerdict(ctx context.Context, c *compiler.Compiler, h *harnesses.Harness, code string, args json.RawMessage) (string, string) {
	plan, err := h.Plan(code, args)
	if err != nil {
		return "error", err.Error()
	}
	var compiled *outcome.Compile
	var ran *outcome.Run
	if plan.Steps != harnesses.Skip {
		out, err := c.Compile(ctx, compiler.Input{Source: plan.Source, Edition: plan.Edition})
		if err != nil {
			return "error", err.Error()
		}
		compiled = &out.Compile
		if out.Success && plan.Steps == harnesses.CompileAndRun {
			run, err := runNativeExe(ctx, out.Module, plan.Input.Stdin, 10*time.Second)
			if err != nil {
				return "error", err.Error()
			}
			ran = &run
		}
	}
	rep, err := plan.Report(compiled, ran)
	if err != nil {
		return "error", err.Error()
	}
	var v harnesses.ExampleVerdict
	if err := json.Unmarshal(rep.Verdict, &v); err != nil {
		return "error", fmt.Sprintf("no verdict: %v", err)
	}
	return v.Outcome, v.Reason
}

// runNativeExe runs a native reference executable and says how it ended,
// as the wasm engine would: an exit code, a trap (here: a signal), or the
// time limit.
func runNativeExe(ctx context.Context, exe, stdin []byte, timeout time.Duration) (outcome.Run, error) {
	dir, err := os.MkdirTemp("", "rocket-sandbox-native-")
	if err != nil {
		return outcome.Run{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "main")
	if err := os.WriteFile(path, exe, 0o755); err != nil {
		return outcome.Run{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path)
	cmd.Dir = dir
	cmd.Env = compiler.NativeRunEnv()
	cmd.Stdin = strings.NewReader(string(stdin))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	err = cmd.Run()
	if ctx.Err() != nil {
		return outcome.Run{Limit: outcome.LimitTime}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return outcome.Run{Trap: fmt.Sprintf("killed by signal %d", int(ws.Signal()))}, nil
		}
		code := int32(exitErr.ExitCode())
		return outcome.Run{ExitCode: &code}, nil
	}
	if err != nil {
		return outcome.Run{}, err
	}
	return outcome.Run{ExitCode: new(int32(0))}, nil
}

func parityTable(rows []parityRow, total int, took time.Duration) string {
	var b strings.Builder
	b.WriteString("| # | block | attrs | sandbox | native | same | sandbox s | native s | reason (sandbox / native, when they differ) |\n|---|---|---|---|---|---|---|---|---|\n")
	same := 0
	for i, r := range rows {
		eq := r.sandbox == r.native
		mark, why := "no", r.sandboxWhy+" / "+r.nativeWhy
		if eq {
			same++
			mark, why = "yes", ""
		}
		fmt.Fprintf(&b, "| %d | %s:%d | `%s` | %s | %s | %s | %.1f | %.1f | %s |\n", i+1, r.block.file, r.block.line, r.block.attrs,
			r.sandbox, r.native, mark, r.sandboxTime.Seconds(), r.nativeTime.Seconds(), strings.ReplaceAll(why, "|", "\\|"))
	}
	fmt.Fprintf(&b, "\nparity: %d/%d blocks: sandbox outcome equals native outcome (%d of %d blocks in the guide run; %s)\n",
		same, len(rows), len(rows), total, took.Round(time.Second))
	return b.String()
}
