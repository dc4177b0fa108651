// Package parity puts one table of documentation code blocks through the
// sandbox's example harness and through a reference, and compares the
// verdicts: passed, failed or ignored. The reference of record is real
// `cargo test --doc` (Cargo, over internal/cargoref); any Executor (the
// in-process native build, internal/app.Reference) can stand in for it
// through PerBlock.
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
				cur.Code = fencedCode(body, len(line)-len(strings.TrimLeft(line, " ")))
				out = append(out, *cur)
			}
			cur = nil
		case cur != nil:
			body = append(body, line)
		}
	}
	return out
}

// fencedCode is a fenced block's code: its lines without the fence's
// indent (as in Markdown), newline-terminated.
func fencedCode(body []string, indent int) string {
	for i, l := range body {
		if len(l) >= indent && strings.TrimSpace(l[:indent]) == "" {
			body[i] = l[indent:]
		}
	}
	return strings.Join(body, "\n") + "\n"
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
	// Detail is, for a failed block, the first compiler error or the
	// panic message: what tells one cause of failure from another.
	Detail string
	Took   time.Duration
}

// Row is one block's verdict on both sides.
type Row struct {
	Block
	Sandbox, Native Verdict
}

// Same reports whether both sides judged the block alike.
func (r Row) Same() bool { return r.Sandbox.Outcome == r.Native.Outcome }

// Reference judges a table of blocks at once (cargo compiles and runs a
// whole crate's doctests in one go), in the order given.
type Reference interface {
	Judge(ctx context.Context, blocks []Block) ([]Verdict, error)
}

// PerBlock is a Reference over an Executor: each block through its example
// harness, one request at a time.
type PerBlock struct{ Executor Executor }

// Judge implements Reference.
func (p PerBlock) Judge(ctx context.Context, blocks []Block) ([]Verdict, error) {
	out := make([]Verdict, len(blocks))
	for i, b := range blocks {
		out[i] = Judge(ctx, p.Executor, b)
	}
	return out, nil
}

// Run judges every block on the sandbox, in order, calling progress (if
// not nil) after each, while the reference judges them all; the rows pair
// the two. A reference that fails gives every block an "error" verdict
// with its reason.
func Run(ctx context.Context, blocks []Block, sandboxSide Executor, reference Reference, progress func(i int, b Block, sandbox Verdict)) []Row {
	type answer struct {
		verdicts []Verdict
		err      error
		took     time.Duration
	}
	ref := make(chan answer, 1)
	go func() {
		start := time.Now()
		v, err := reference.Judge(ctx, blocks)
		ref <- answer{v, err, time.Since(start)}
	}()
	rows := make([]Row, 0, len(blocks))
	for i, b := range blocks {
		r := Row{Block: b, Sandbox: Judge(ctx, sandboxSide, b)}
		rows = append(rows, r)
		if progress != nil {
			progress(i, b, r.Sandbox)
		}
	}
	a := <-ref
	for i := range rows {
		switch {
		case a.err != nil:
			rows[i].Native = Verdict{Outcome: "error", Reason: a.err.Error(), Took: a.took}
		case i < len(a.verdicts):
			rows[i].Native = a.verdicts[i]
		default:
			rows[i].Native = Verdict{Outcome: "error", Reason: "the reference gave no verdict"}
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
	return Verdict{Outcome: v.Outcome, Reason: v.Reason, Detail: detail(resp), Took: took}
}

// detail finds the first compiler error, else the first panic message or
// trap, of a response.
func detail(resp sandbox.Response) string {
	if c := resp.Compile; c != nil && !c.Success {
		for _, d := range c.Diagnostics {
			if d.Level == "error" {
				return d.Message
			}
		}
	}
	if r := resp.Run; r != nil {
		lines := strings.Split(r.Stderr, "\n")
		for i, l := range lines {
			if strings.Contains(l, "panicked at") && i+1 < len(lines) {
				return strings.TrimSpace(lines[i+1])
			}
		}
		if r.Trap != "" {
			first, _, _ := strings.Cut(r.Trap, "\n")
			return first
		}
	}
	return ""
}

// Table renders rows as Markdown with a closing summary line; total is
// how many blocks the corpus has (rows may be a subset), corpus names it
// ("the guide").
func Table(rows []Row, total int, took time.Duration, corpus string) string {
	var b strings.Builder
	b.WriteString("| # | block | attrs | sandbox | cargo | same | sandbox s | reason (sandbox / cargo, when they differ) |\n|---|---|---|---|---|---|---|---|\n")
	for i, r := range rows {
		mark, why := "no", r.Sandbox.Reason+" / "+r.Native.Reason
		if r.Same() {
			mark, why = "yes", ""
		}
		fmt.Fprintf(&b, "| %d | %s:%d | `%s` | %s | %s | %s | %.1f | %s |\n", i+1, r.File, r.Line, r.Attrs,
			r.Sandbox.Outcome, r.Native.Outcome, mark, r.Sandbox.Took.Seconds(), cell(why))
	}
	fmt.Fprintf(&b, "\n%s\n", Summary(rows, total, took, corpus))
	return b.String()
}

// Summary is the table's closing line.
func Summary(rows []Row, total int, took time.Duration, corpus string) string {
	same := 0
	for _, r := range rows {
		if r.Same() {
			same++
		}
	}
	return fmt.Sprintf("parity: %d/%d blocks: sandbox outcome equals cargo test --doc's outcome (%d of %d blocks in %s run; %s)",
		same, len(rows), len(rows), total, corpus, took.Round(time.Second))
}

// cell makes text fit a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
