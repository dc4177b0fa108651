package parity

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
	"github.com/rocket-sandbox/rocket-sandbox/internal/cargoref"
)

// Cargo is the reference of record for loose blocks (the guide's): each
// block a doctest of the generated crate, judged by `cargo test --doc`
// (cargoref.Config.Doctests), cached by input digest.
type Cargo struct {
	Config cargoref.Config
	// Cached, if not nil, receives how many verdicts came from the cache.
	Cached *int
}

// Judge implements Reference.
func (c Cargo) Judge(ctx context.Context, blocks []Block) ([]Verdict, error) {
	in := make([]cargoref.Block, len(blocks))
	for i, b := range blocks {
		in[i] = cargoref.Block{Attrs: b.Attrs, Code: b.Code}
	}
	got, cached, err := c.Config.Doctests(ctx, in)
	if c.Cached != nil {
		*c.Cached = cached
	}
	if err != nil {
		return nil, err
	}
	out := make([]Verdict, len(got))
	for i, v := range got {
		out[i] = Verdict{Outcome: v.Outcome, Reason: v.Reason}
	}
	return out, nil
}

// Absent is the outcome of a Rust block of a crate that `cargo test --doc`
// did not list: its item is compiled out (cfg) under the features of the
// run, so natively it is not a doctest at all.
const Absent = "absent"

// CrateDoctests is the reference for a crate's own API documentation: the
// crate's doctests by `cargo test --doc` on a copy of its source
// (cargoref.Config.CrateDoctests), matched to the blocks ExtractCrate
// found by file and line. Run receives cargo's run, whose tests include
// any no extracted block matches.
type CrateDoctests struct {
	Config   cargoref.Config
	Src      string
	Features []string
	Run      *cargoref.CrateRun
}

// Judge implements Reference.
func (c CrateDoctests) Judge(ctx context.Context, blocks []Block) ([]Verdict, error) {
	run, err := c.Config.CrateDoctests(ctx, c.Src, c.Features)
	if err != nil {
		return nil, err
	}
	if c.Run != nil {
		*c.Run = run
	}
	return crateVerdicts(blocks, run.Tests, c.Features), nil
}

// crateVerdicts matches libtest's doctests to blocks by file and line.
func crateVerdicts(blocks []Block, tests []cargoref.Test, features []string) []Verdict {
	byLoc := map[string]cargoref.Test{}
	for _, t := range tests {
		k := t.File + ":" + strconv.Itoa(t.Line)
		if _, dup := byLoc[k]; !dup {
			byLoc[k] = t
		}
	}
	used := map[string]bool{}
	for _, b := range blocks {
		used[b.File+":"+strconv.Itoa(b.Line)] = true
	}
	out := make([]Verdict, len(blocks))
	for i, b := range blocks {
		t, ok := byLoc[b.File+":"+strconv.Itoa(b.Line)]
		if !ok {
			// Docs passed through a macro (pin_project!) are reported a
			// line off: take a neighbour no other block claims.
			for _, d := range []int{-1, 1} {
				k := b.File + ":" + strconv.Itoa(b.Line+d)
				if n, near := byLoc[k]; near && !used[k] {
					t, ok = n, true
					used[k] = true
					break
				}
			}
		}
		switch {
		case ok:
			out[i] = Verdict{Outcome: t.Outcome, Reason: t.Reason}
		case !rustdoc.ParseAttrs(b.Attrs).Rust:
			out[i] = Verdict{Outcome: "ignored", Reason: "cargo test --doc: not a doctest (not Rust)"}
		default:
			out[i] = Verdict{Outcome: Absent, Reason: fmt.Sprintf("cargo test --doc did not list it: its item is compiled out under the features %v", features)}
		}
	}
	return out
}
