// Package parity puts one table of documentation code blocks through two
// services — the sandbox and the native reference (internal/app.Reference)
// — with the example harness, and compares rustdoc's verdicts: passed,
// failed or ignored. It is the one pipeline of both sides; what differs is
// only which service answers, as wazero runs one test table over both of
// its engines.
package parity

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// Block is one ```rust code block of a documentation page.
type Block struct {
	File  string
	Line  int    // of the opening fence
	Attrs string // the fence's info string, e.g. "rust,no_run"
	Code  string
}

// Extract reads every ```rust block (any info string starting with
// "rust") of the Markdown files in dir, in file and line order; README.md
// is not a chapter.
func Extract(dir string) ([]Block, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Block
	for _, f := range files {
		if strings.EqualFold(filepath.Base(f), "README.md") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, extractFile(filepath.Base(f), string(b))...)
	}
	return out, nil
}

// extractFile reads the blocks of one page. Fences may be indented (inside
// list items); their code is indented as much, and loses that indent.
func extractFile(name, text string) []Block {
	var out []Block
	var cur *Block
	var body []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && strings.HasPrefix(trimmed, "```"):
			info := strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
			cur, body = &Block{File: name, Line: n, Attrs: info}, nil
			if info != "rust" && !strings.HasPrefix(info, "rust,") {
				cur.Attrs = "-" // another language's block, or none: skipped
			}
		case cur != nil && trimmed == "```":
			if cur.Attrs != "-" {
				indent := len(line) - len(strings.TrimLeft(line, " "))
				for i, l := range body {
					if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
						body[i] = l[indent:]
					}
				}
				cur.Code = strings.Join(body, "\n") + "\n"
				out = append(out, *cur)
			}
			cur = nil
		case cur != nil:
			body = append(body, line)
		}
	}
	return out
}

// Executor answers requests: a *sandbox.Service, or a client of the HTTP
// API.
type Executor interface {
	Execute(ctx context.Context, req sandbox.Request) (sandbox.Response, error)
}

// Verdict is the example harness's judgement of one block, or "error"
// with the reason when the service did not give one.
type Verdict struct {
	Outcome string
	Reason  string
	Took    time.Duration
}

// Row is one block's verdict on both sides.
type Row struct {
	Block
	Sandbox, Native Verdict
}

// Same reports whether both sides judged the block alike.
func (r Row) Same() bool { return r.Sandbox.Outcome == r.Native.Outcome }

// Run judges every block on both services, in order, calling progress
// (if not nil) after each.
func Run(ctx context.Context, blocks []Block, sandboxSide, nativeSide Executor, progress func(i int, r Row)) []Row {
	rows := make([]Row, 0, len(blocks))
	for i, b := range blocks {
		r := Row{Block: b, Sandbox: Judge(ctx, sandboxSide, b), Native: Judge(ctx, nativeSide, b)}
		rows = append(rows, r)
		if progress != nil {
			progress(i, r)
		}
	}
	return rows
}

// Judge runs one block through the example harness of e.
func Judge(ctx context.Context, e Executor, b Block) Verdict {
	args, _ := json.Marshal(map[string]string{"attrs": b.Attrs})
	start := time.Now()
	resp, err := e.Execute(ctx, sandbox.Request{Harness: "example", Stub: b.Code, Args: args})
	took := time.Since(start)
	if err != nil {
		return Verdict{Outcome: "error", Reason: err.Error(), Took: took}
	}
	var v harnesses.ExampleVerdict
	if json.Unmarshal(resp.Result, &v) != nil || v.Outcome == "" {
		return Verdict{Outcome: "error", Reason: fmt.Sprintf("no verdict (status %s)", resp.Status), Took: took}
	}
	return Verdict{Outcome: v.Outcome, Reason: v.Reason, Took: took}
}

// Table renders rows as Markdown with a closing summary line; total is
// how many blocks the corpus has (rows may be a subset).
func Table(rows []Row, total int, took time.Duration) string {
	var b strings.Builder
	b.WriteString("| # | block | attrs | sandbox | native | same | sandbox s | native s | reason (sandbox / native, when they differ) |\n|---|---|---|---|---|---|---|---|---|\n")
	same := 0
	for i, r := range rows {
		mark, why := "no", r.Sandbox.Reason+" / "+r.Native.Reason
		if r.Same() {
			same++
			mark, why = "yes", ""
		}
		fmt.Fprintf(&b, "| %d | %s:%d | `%s` | %s | %s | %s | %.1f | %.1f | %s |\n", i+1, r.File, r.Line, r.Attrs,
			r.Sandbox.Outcome, r.Native.Outcome, mark, r.Sandbox.Took.Seconds(), r.Native.Took.Seconds(), strings.ReplaceAll(why, "|", "\\|"))
	}
	fmt.Fprintf(&b, "\nparity: %d/%d blocks: sandbox outcome equals native outcome (%d of %d blocks in the guide run; %s)\n",
		same, len(rows), len(rows), total, took.Round(time.Second))
	return b.String()
}
