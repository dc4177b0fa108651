package parity

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/cargoref"
)

const source = `//! The crate.
//!
//! ` + "```rust" + `
//! # use std::fmt;
//! let x = 1;
//! ` + "```" + `

/// A thing.
///
/// ` + "```rust,no_run" + `
/// fn main() {
///     run();
/// }
/// ` + "```" + `
///
/// ` + "```text" + `
/// not rust
/// ` + "```" + `
pub struct Thing;

impl Thing {
    ///   Indented more than usual:
    ///
    ///   ` + "```" + `
    ///   let y = 2;
    ///   ` + "```" + `
    //// not a doc comment
    pub fn f() {}
}
`

func TestExtractDocCommentsFindsBlocksAtTheirFenceLines(t *testing.T) {
	blocks := extractDocComments("src/lib.rs", source)
	require.Len(t, blocks, 4)
	assert.Equal(t, Block{File: "src/lib.rs", Line: 3, Attrs: "rust", Code: "# use std::fmt;\nlet x = 1;\n"}, blocks[0])
	assert.Equal(t, Block{File: "src/lib.rs", Line: 10, Attrs: "rust,no_run", Code: "fn main() {\n    run();\n}\n"}, blocks[1])
	assert.Equal(t, Block{File: "src/lib.rs", Line: 16, Attrs: "text", Code: "not rust\n"}, blocks[2])
	assert.Equal(t, Block{File: "src/lib.rs", Line: 24, Attrs: "", Code: "let y = 2;\n"}, blocks[3])
}

func TestCrateVerdictsMatchDoctestsByFileAndLine(t *testing.T) {
	blocks := []Block{
		{File: "src/a.rs", Line: 3, Attrs: "rust"},
		{File: "src/a.rs", Line: 9, Attrs: "text"},
		{File: "src/b.rs", Line: 3, Attrs: ""},
		{File: "src/b.rs", Line: 7, Attrs: "rust,no_run"},
		{File: "src/d.rs", Line: 29, Attrs: "rust"},
	}
	tests := []cargoref.Test{
		{File: "src/a.rs", Line: 3, Verdict: cargoref.Verdict{Outcome: "passed", Reason: "ok"}},
		{File: "src/b.rs", Line: 3, Verdict: cargoref.Verdict{Outcome: "failed", Reason: "FAILED"}},
		{File: "src/c.rs", Line: 1, Verdict: cargoref.Verdict{Outcome: "passed"}},
		{File: "src/d.rs", Line: 28, Verdict: cargoref.Verdict{Outcome: "failed"}},
	}
	v := crateVerdicts(blocks, tests, []string{"json"})
	assert.Equal(t, []string{"passed", "ignored", "failed", Absent, "failed"}, []string{v[0].Outcome, v[1].Outcome, v[2].Outcome, v[3].Outcome, v[4].Outcome})
	assert.Contains(t, v[3].Reason, "[json]")
}

func TestMissesGroupByTheFirstMatchingCause(t *testing.T) {
	rows := []Row{
		{Block: Block{Line: 1}, Sandbox: Verdict{Outcome: "failed", Detail: "cannot find macro `relative`"}, Native: Verdict{Outcome: "passed"}},
		{Block: Block{Line: 2}, Sandbox: Verdict{Outcome: "passed"}, Native: Verdict{Outcome: "passed"}},
		{Block: Block{Line: 3}, Sandbox: Verdict{Outcome: "failed", Detail: "other"}, Native: Verdict{Outcome: "passed"}},
	}
	causes := []Cause{{Name: "relative", Why: "because", Match: func(r Row) bool { return r.Sandbox.Detail == "cannot find macro `relative`" }}}
	groups, byGroup, why := Misses(rows, causes)
	assert.Equal(t, []string{"relative", "unexplained: sandbox failed, cargo passed"}, groups)
	assert.Len(t, byGroup["relative"], 1)
	assert.Equal(t, 3, byGroup["unexplained: sandbox failed, cargo passed"][0].Line)
	assert.Equal(t, "because", why["relative"])
}

func TestCrateReportLeavesAbsentBlocksOutOfTheRatio(t *testing.T) {
	rows := []Row{
		{Block: Block{File: "src/a.rs", Line: 1, Attrs: "rust"}, Sandbox: Verdict{Outcome: "passed"}, Native: Verdict{Outcome: "passed"}},
		{Block: Block{File: "src/a.rs", Line: 5, Attrs: "rust"}, Sandbox: Verdict{Outcome: "failed", Detail: "boom"}, Native: Verdict{Outcome: "passed"}},
		{Block: Block{File: "src/b.rs", Line: 2, Attrs: "rust"}, Sandbox: Verdict{Outcome: "passed"}, Native: Verdict{Outcome: Absent}},
		{Block: Block{File: "src/b.rs", Line: 9, Attrs: "text"}, Sandbox: Verdict{Outcome: "ignored"}, Native: Verdict{Outcome: "ignored", Reason: "cargo test --doc: not a doctest (not Rust)"}},
	}
	same, judged := CrateScore(rows)
	assert.Equal(t, 2, same)
	assert.Equal(t, 3, judged)
	run := cargoref.CrateRun{Summary: "test result: ok. 3 passed", Tests: []cargoref.Test{{File: "src/a.rs", Line: 1}, {File: "src/m.rs", Line: 7, Item: "m::f", Verdict: cargoref.Verdict{Outcome: "passed"}}}}
	report := CrateReport(rows, 4, 0, run, nil)
	assert.Contains(t, report, "**2/3 blocks (66.7 %) have the same outcome")
	assert.Contains(t, report, "the other 1 are `absent`")
	assert.Contains(t, report, "### unexplained: sandbox failed, cargo passed (1)")
	assert.Contains(t, report, "- `src/a.rs:5` (`rust`): sandbox failed, cargo passed — boom")
	assert.Contains(t, report, "## Doctests cargo ran that match no extracted block (1)")
	assert.Contains(t, report, "- `src/m.rs:7` (m::f): passed")
}
