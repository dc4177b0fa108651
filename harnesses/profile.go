package harnesses

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"

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
		version, err := lockedVersion(name, spec, versions[name])
		if err != nil {
			return nil, err
		}
		crate := project.ProfileCrate{Version: version}
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

// lockedVersion is the version of name the profile built as its direct
// dependency: of the lock's versions of that crate (a graph may hold
// several, e.g. flume 0.10 for the examples beside 0.11 under sqlx), the
// highest the manifest's requirement admits.
func lockedVersion(name string, spec any, locked []string) (string, error) {
	req := "*"
	switch s := spec.(type) {
	case string:
		req = s
	case map[string]any:
		if v, ok := s["version"].(string); ok {
			req = v
		}
	}
	var best string
	for _, v := range locked {
		ok, err := project.VersionMatches(req, v)
		if err != nil {
			return "", fmt.Errorf("profile: %s %s: %w", name, v, err)
		}
		if ok && (best == "" || versionLess(best, v)) {
			best = v
		}
	}
	if best == "" {
		return "", fmt.Errorf("profile: no version of %s in the lock file matches %q", name, req)
	}
	return best, nil
}

// versionLess orders two plain x.y.z versions numerically.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(strings.SplitN(pa[i], "-", 2)[0])
		y, _ := strconv.Atoi(strings.SplitN(pb[i], "-", 2)[0])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}
