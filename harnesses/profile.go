package harnesses

import (
	_ "embed"
	"fmt"
	"sort"

	"github.com/BurntSushi/toml"

	"github.com/rocket-sandbox/rocket-sandbox/project"
)

// The dependency profile's manifest and lock, as built: which crates a
// stub may name, with which features, at which versions.
var (
	//go:embed deps/Cargo.toml
	profileManifest string
	//go:embed Cargo.lock
	profileLock string
)

// internalCrates are the profile's crates that are the service's own, not
// a project's to ask for.
var internalCrates = map[string]bool{"rocket_docs_tests": true}

// Profile is what a project's Cargo.toml may ask for: each crate the
// prepared toolchain built (externs: the set-up manifest's extern names),
// with its locked version and the features the profile's manifest turns
// on.
func Profile(externs map[string]string) (project.Profile, error) {
	var manifest struct {
		Dependencies map[string]any `toml:"dependencies"`
	}
	if _, err := toml.Decode(profileManifest, &manifest); err != nil {
		return nil, fmt.Errorf("profile manifest: %w", err)
	}
	var lock struct {
		Package []struct {
			Name    string `toml:"name"`
			Version string `toml:"version"`
		} `toml:"package"`
	}
	if _, err := toml.Decode(profileLock, &lock); err != nil {
		return nil, fmt.Errorf("profile lock: %w", err)
	}
	versions := map[string][]string{}
	for _, p := range lock.Package {
		versions[p.Name] = append(versions[p.Name], p.Version)
	}
	out := project.Profile{}
	for name, spec := range manifest.Dependencies {
		if _, built := externs[name]; !built || internalCrates[name] {
			continue
		}
		vs := versions[name]
		if len(vs) == 0 {
			return nil, fmt.Errorf("profile: %s is not in the lock file", name)
		}
		sort.Strings(vs)
		crate := project.ProfileCrate{Version: vs[len(vs)-1]}
		if table, ok := spec.(map[string]any); ok {
			if list, ok := table["features"].([]any); ok {
				for _, f := range list {
					if s, ok := f.(string); ok {
						crate.Features = append(crate.Features, s)
					}
				}
			}
		}
		out[name] = crate
	}
	return out, nil
}
