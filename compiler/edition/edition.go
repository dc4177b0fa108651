// Package edition owns the list of Rust editions a stub may be compiled
// with. It is the one definition the compiler (which passes `--edition`
// to rustc), the harnesses' `edition` arguments and their JSON Schemas,
// and rustdoc's `editionNNNN` fence attributes all check against. It is a
// leaf, so that reading the list does not pull in the compiler's jail.
package edition

import (
	"fmt"
	"slices"
	"strings"
)

// Default is the edition used when a request names none.
const Default = "2021"

// All returns the editions, oldest first. It returns a new slice each
// time, so no caller can change the list for the others.
func All() []string { return []string{"2015", "2018", "2021", "2024"} }

// Valid reports whether e is one of All.
func Valid(e string) bool { return slices.Contains(All(), e) }

// Quoted lists the editions as a message shows them:
// `"2015", "2018", "2021", "2024"`.
func Quoted() string {
	q := make([]string, 0, len(All()))
	for _, e := range All() {
		q = append(q, fmt.Sprintf("%q", e))
	}
	return strings.Join(q, ", ")
}
