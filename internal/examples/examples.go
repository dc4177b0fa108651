// Package examples is the yardstick of Rocket's own example apps (its
// repository's examples/ at v0.5.1, read where they are, never copied):
// each example's tests run in the sandbox — the example sent, unmodified,
// as a project to a running service's `test` harness over HTTP — and
// natively under real `cargo test` (package cargoref) on a workspace of
// copies whose path dependencies are mapped to the crates.io releases;
// the per-test outcomes are compared, and the comparison is a Markdown
// table (bench/results/rocket-examples.md, `make examples`).
package examples

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/client"
)

// Example is one example app: its directory's name and its files.
type Example struct {
	Name string
	// Files are every file below the example's directory, by
	// '/'-separated path.
	Files map[string][]byte
}

// Load reads every example below dir (each subdirectory with a
// Cargo.toml), in name order; only, when not empty, picks examples by
// name (an unknown name is an error).
func Load(dir string, only ...string) ([]Example, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("examples: %w", err)
	}
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var out []Example
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "Cargo.toml")); err != nil {
			continue
		}
		if len(only) > 0 && !want[e.Name()] {
			continue
		}
		delete(want, e.Name()) // found: what is left at the end is missing
		files, err := readTree(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Example{Name: e.Name(), Files: files})
	}
	if len(want) > 0 {
		var missing []string
		for n := range want {
			missing = append(missing, n)
		}
		sort.Strings(missing)
		return nil, fmt.Errorf("examples: no example %s in %s", strings.Join(missing, ", "), dir)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("examples: no example (a directory with a Cargo.toml) in %s", dir)
	}
	return out, nil
}

func readTree(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	return files, err
}

// Project is the example as the API takes a project: every file, text
// as a string and anything that is not UTF-8 (an image, a favicon) as
// its bytes in base64 (client.File).
func (e Example) Project() map[string]json.RawMessage {
	return client.Files(e.Files)
}
