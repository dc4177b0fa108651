package examples

import (
	"bytes"
	"context"
	"fmt"

	"github.com/BurntSushi/toml"

	"github.com/rocket-sandbox/rocket-sandbox/internal/cargoref"
)

// Releases are the crates.io releases of Rocket's crates at v0.5.1, which
// the examples name by path into Rocket's tree
// (../shared/rocket-examples/README.md): a native build depends on these
// instead.
var Releases = map[string]string{
	"rocket":               "0.5.1",
	"rocket_dyn_templates": "0.2.0",
	"rocket_db_pools":      "0.2.0",
	"rocket_sync_db_pools": "0.1.0",
	"rocket_ws":            "0.1.1",
}

// NativeManifest is e's Cargo.toml for a native build: every path
// dependency (into Rocket's workspace) becomes the crates.io release of
// that crate at the same version, `=`-pinned; the rest is kept.
// `workspace = "../"` stays: the native workspace's root is the member's
// parent directory, as in Rocket's tree.
func NativeManifest(text string) ([]byte, error) {
	var doc map[string]any
	if _, err := toml.Decode(text, &doc); err != nil {
		return nil, fmt.Errorf("examples: Cargo.toml: %w", err)
	}
	for _, section := range []string{"dependencies", "dev-dependencies"} {
		deps, _ := doc[section].(map[string]any)
		for name, spec := range deps {
			table, ok := spec.(map[string]any)
			if !ok {
				continue
			}
			if _, ok := table["path"]; !ok {
				continue
			}
			pkg := name
			if p, ok := table["package"].(string); ok {
				pkg = p
			}
			v, ok := Releases[pkg]
			if !ok {
				return nil, fmt.Errorf("examples: Cargo.toml: %s.%s: a path dependency on %q, which has no known release", section, name, pkg)
			}
			delete(table, "path")
			table["version"] = "=" + v
		}
	}
	var b bytes.Buffer
	b.WriteString("# Rocket's example, with its path dependencies mapped to crates.io releases (rocket-sandbox internal/examples).\n")
	if err := toml.NewEncoder(&b).Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Native runs every example's tests natively: real `cargo test` on a
// workspace of copies in ref.Dir/examples-native (cargoref.WorkspaceTests:
// the profile's lock, Debian's cargo and rustc), each with its mapped
// Cargo.toml. It returns each example's Side by name, and cargo's output.
func Native(ctx context.Context, ref cargoref.Config, exs []Example) (map[string]Side, []byte, error) {
	members := map[string]map[string][]byte{}
	for _, e := range exs {
		files := make(map[string][]byte, len(e.Files))
		for p, b := range e.Files {
			files[p] = b
		}
		m, err := NativeManifest(string(e.Files["Cargo.toml"]))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", e.Name, err)
		}
		files["Cargo.toml"] = m
		members[e.Name] = files
	}
	runs, out, err := ref.WorkspaceTests(ctx, "examples-native", members)
	if err != nil {
		return nil, out, err
	}
	sides := map[string]Side{}
	for name, r := range runs {
		s := Side{Tests: map[string]string{}}
		if !r.Built {
			s.Error = r.Error
		}
		for _, t := range r.Tests {
			s.Tests[t.Name] = t.Outcome
		}
		sides[name] = s
	}
	return sides, out, nil
}
