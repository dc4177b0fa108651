package parity

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/cargoref"
)

// Cause explains a group of blocks whose outcomes differ.
type Cause struct {
	// Name is the group's heading; Why what makes the two sides differ
	// and what closing the gap would take.
	Name, Why string
	// Match says whether a differing row belongs to the group.
	Match func(Row) bool
}

// Misses groups the rows whose outcomes differ by the first cause that
// matches, in the order of causes; rows no cause matches are grouped by
// their two outcomes.
func Misses(rows []Row, causes []Cause) (groups []string, byGroup map[string][]Row, why map[string]string) {
	byGroup, why = map[string][]Row{}, map[string]string{}
	for _, c := range causes {
		why[c.Name] = c.Why
	}
	for _, r := range rows {
		if r.Same() {
			continue
		}
		name := ""
		for _, c := range causes {
			if c.Match(r) {
				name = c.Name
				break
			}
		}
		if name == "" {
			name = fmt.Sprintf("unexplained: sandbox %s, cargo %s", r.Sandbox.Outcome, r.Native.Outcome)
		}
		if _, ok := byGroup[name]; !ok {
			groups = append(groups, name)
		}
		byGroup[name] = append(byGroup[name], r)
	}
	return groups, byGroup, why
}

// CrateReport renders a crate's API-doctest parity: the summary, the
// differing blocks grouped by cause, the doctests cargo ran that match no
// extracted block, and every block's row.
func CrateReport(rows []Row, total int, took time.Duration, run cargoref.CrateRun, causes []Cause) string {
	var b strings.Builder
	same, judged := CrateScore(rows)
	all := 0
	outcomes := map[string]int{}
	for _, r := range rows {
		outcomes[r.Native.Outcome]++
		if r.Same() {
			all++
		}
	}
	fmt.Fprintf(&b, "**%d/%d blocks (%.1f %%) have the same outcome in the sandbox as under `cargo test --doc`**, of the blocks cargo judged (a doctest under these features, or another language's block that neither side tests). Of all %d blocks found, %d agree (%.1f %%); the other %d are `absent`: Rust blocks that `cargo test --doc` does not run at all, so there is no outcome to compare (their causes are below).\n\n",
		same, judged, pct(same, judged), len(rows), all, pct(all, len(rows)), len(rows)-judged)
	keys := make([]string, 0, len(outcomes))
	for k := range outcomes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, outcomes[k]))
	}
	fmt.Fprintf(&b, "cargo's outcomes: %s; libtest's summary: `%s`%s.\n\n", strings.Join(parts, ", "), run.Summary, map[bool]string{true: " (from the reference's cache)", false: ""}[run.Cached])

	groups, byGroup, why := Misses(rows, causes)
	b.WriteString("## Blocks with another outcome, by cause\n\n")
	if len(groups) == 0 {
		b.WriteString("None.\n\n")
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "### %s (%d)\n\n", g, len(byGroup[g]))
		if w := why[g]; w != "" {
			b.WriteString(w + "\n\n")
		}
		for _, r := range byGroup[g] {
			d := r.Sandbox.Detail
			if d == "" {
				d = r.Sandbox.Reason
			}
			fmt.Fprintf(&b, "- `%s:%d` (`%s`): sandbox %s, cargo %s — %s\n", r.File, r.Line, r.Attrs, r.Sandbox.Outcome, r.Native.Outcome, cell(trim(d, 200)))
		}
		b.WriteString("\n")
	}

	seen := map[string]bool{}
	for _, r := range rows {
		seen[fmt.Sprintf("%s:%d", r.File, r.Line)] = true
	}
	var extra []string
	for _, t := range run.Tests {
		if k := fmt.Sprintf("%s:%d", t.File, t.Line); !seen[k] {
			extra = append(extra, fmt.Sprintf("- `%s` (%s): %s", k, t.Item, t.Outcome))
		}
	}
	fmt.Fprintf(&b, "## Doctests cargo ran that match no extracted block (%d)\n\n", len(extra))
	if len(extra) == 0 {
		b.WriteString("None: every doctest libtest reported is a block of the table.\n")
	} else {
		b.WriteString(extraNote + "\n\n")
	}
	b.WriteString(strings.Join(extra, "\n") + "\n\n## Every block\n\n")
	b.WriteString(Table(rows, total, took, "the crate's API documentation"))
	return b.String()
}

// CrateScore counts the blocks cargo judged (all but Absent) and, of
// those, the ones whose outcomes agree: the API-doctest yardstick.
func CrateScore(rows []Row) (same, judged int) {
	for _, r := range rows {
		if r.Native.Outcome == Absent {
			continue
		}
		judged++
		if r.Same() {
			same++
		}
	}
	return same, judged
}

// extraNote explains doctests without a block: their text exists only
// after macro expansion.
const extraNote = "Doc comments a macro generates exist only after expansion: rustdoc tests them once per expansion, at the invocation's line (the `local::asynchronous` and `local::blocking` clients, requests and responses share their docs through `pub_client_impl!`, `pub_request_impl!` and `pub_response_impl!`, whose templates splice `#[doc = $import]` lines into the blocks; `status_response!` writes one block per status). A reader of the source cannot reproduce the expanded text, so the sandbox has no block to run for them; they are not in the table."

func pct(a, n int) float64 {
	if n == 0 {
		return 0
	}
	return 100 * float64(a) / float64(n)
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
