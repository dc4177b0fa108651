package examples

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Row is one example's comparison.
type Row struct {
	Name            string
	Sandbox, Native Side
	Parity          bool
	Differences     []string
	// Cause says why an example has no parity; Notes what to know about
	// one that has.
	Cause string
	Notes []string
}

// Compare judges one example: parity when both sides ran the same tests
// with the same outcomes and neither failed to run them. Differences
// lists what differs, in the order a reader checks it.
func Compare(name string, sandbox, native Side) Row {
	r := Row{Name: name, Sandbox: sandbox, Native: native}
	if sandbox.Error != "" {
		r.Differences = append(r.Differences, "sandbox: "+sandbox.Error)
	}
	if native.Error != "" {
		r.Differences = append(r.Differences, "native: "+native.Error)
	}
	for _, t := range slices.Sorted(maps.Keys(union(sandbox.Tests, native.Tests))) {
		s, n := sandbox.Tests[t], native.Tests[t]
		if s == n {
			continue
		}
		if s == "" {
			s = "absent"
		}
		if n == "" {
			n = "absent"
		}
		if sandbox.Error != "" && s == "absent" {
			continue // said once above
		}
		r.Differences = append(r.Differences, fmt.Sprintf("`%s`: sandbox %s, native %s", t, s, n))
	}
	r.Parity = len(r.Differences) == 0
	return r
}

func union(a, b map[string]string) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// Table is the Markdown table of rows: tests passed/failed/ignored on
// each side, parity, and for every difference what differs and its
// cause.
func Table(rows []Row) string {
	var b strings.Builder
	b.WriteString("| example | sandbox passed / failed / ignored | native passed / failed / ignored | parity | difference and its cause |\n")
	b.WriteString("|---|---|---|---|---|\n")
	same := 0
	for _, r := range rows {
		parity := "no"
		if r.Parity {
			parity, same = "yes", same+1
		}
		why := strings.Join(r.Differences, "; ")
		if r.Cause != "" {
			if why != "" {
				why += ". "
			}
			why += "Cause: " + r.Cause
		}
		if r.Parity {
			why = strings.Join(r.Notes, "; ")
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Name, counts(r.Sandbox), counts(r.Native), parity, cell(why))
	}
	fmt.Fprintf(&b, "\n**%d of %d examples have parity** (every test's outcome the same in the sandbox and under native `cargo test`).\n", same, len(rows))
	return b.String()
}

func counts(s Side) string {
	if s.Error != "" && len(s.Tests) == 0 {
		return "—"
	}
	return fmt.Sprintf("%d / %d / %d", s.Count("passed"), s.Count("failed"), s.Count("ignored"))
}

// cell keeps a table cell on one line and its pipes literal.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", "\\|")
}
