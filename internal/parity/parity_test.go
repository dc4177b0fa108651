package parity

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

func TestExtractFileTakesRustBlocksOnly(t *testing.T) {
	page := "# T\n\n```rust\nfn main() {}\n```\n\n```toml\n[x]\n```\n\n* tip:\n\n  ```rust,no_run\n  let x = 1;\n    indented();\n  ```\n\n```\nplain\n```\n"
	blocks := extractFile("p.md", page)
	require.Len(t, blocks, 2)
	assert.Equal(t, Block{File: "p.md", Line: 3, Attrs: "rust", Code: "fn main() {}\n"}, blocks[0])
	assert.Equal(t, Block{File: "p.md", Line: 13, Attrs: "rust,no_run", Code: "let x = 1;\n  indented();\n"}, blocks[1])
}

// verdicts is an Executor that answers each block's code with a fixed
// example verdict (or an error).
type verdicts map[string]string

func (v verdicts) Execute(_ context.Context, req sandbox.Request) (sandbox.Response, error) {
	o, ok := v[req.Stub]
	if !ok {
		return sandbox.Response{}, errors.New("refused")
	}
	if req.Harness != "example" || !strings.Contains(string(req.Args), `"attrs":"rust"`) {
		return sandbox.Response{}, errors.New("not an example request")
	}
	return sandbox.Response{Result: []byte(`{"outcome":"` + o + `","reason":"because"}`)}, nil
}

func TestRunComparesBothSidesOnOneTable(t *testing.T) {
	blocks := []Block{{File: "a.md", Line: 1, Attrs: "rust", Code: "a"}, {File: "a.md", Line: 9, Attrs: "rust", Code: "b"}, {File: "b.md", Line: 2, Attrs: "rust", Code: "c"}}
	sb := verdicts{"a": "passed", "b": "failed", "c": "ignored"}
	nat := verdicts{"a": "passed", "b": "passed"}
	var seen []int
	rows := Run(context.Background(), blocks, sb, PerBlock{nat}, func(i int, _ Block, _ Verdict) { seen = append(seen, i) })
	assert.Equal(t, []int{0, 1, 2}, seen)
	assert.True(t, rows[0].Same())
	assert.False(t, rows[1].Same())
	assert.Equal(t, "error", rows[2].Native.Outcome)
	assert.Equal(t, "refused", rows[2].Native.Reason)
	table := Table(rows, 5, 0, "the guide")
	assert.Contains(t, table, "| 2 | a.md:9 | `rust` | failed | passed | no |")
	assert.Contains(t, table, "parity: 1/3 blocks: sandbox outcome equals cargo test --doc's outcome (3 of 5 blocks in the guide run; 0s)")
}
