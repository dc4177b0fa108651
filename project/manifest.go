package project

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Profile is what the prepared dependency profile offers a project: each
// crate a project may depend on (by package name) with its locked version
// and the features it was built with.
type Profile map[string]ProfileCrate

// ProfileCrate is one crate of the profile.
type ProfileCrate struct {
	Version  string
	Features []string
}

// Available lists the profile's crates for an error message.
func (p Profile) Available() string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", n, p[n].Version)
		if f := p[n].Features; len(f) > 0 {
			fmt.Fprintf(&b, " (features %s)", strings.Join(f, ", "))
		}
	}
	return b.String()
}

// Manifest is what the sandbox reads of a project's Cargo.toml.
type Manifest struct {
	Package Package
	// Edition is [package] edition, "" when not given.
	Edition string
	// Renames are the dependencies that name a profile crate under
	// another name (`ws = { package = "rocket_ws" }`): the crate name
	// the code uses ('-' as '_', as cargo derives it) → the profile
	// crate's package name. The compile gives each its own --extern.
	Renames map[string]string
}

// The parts of Cargo.toml the sandbox understands. Metadata it has no
// use for is accepted and ignored; anything that would change how the
// crate is built (build scripts, targets, profiles, patches, its own
// features) is refused, since the prepared profile decides that.
var (
	manifestSections = map[string]bool{"package": true, "dependencies": true, "dev-dependencies": true, "badges": true}
	packageKeys      = map[string]bool{
		"name": true, "version": true, "edition": true, "authors": true, "description": true, "homepage": true,
		"repository": true, "license": true, "rust-version": true, "publish": true, "workspace": true, "readme": true,
		"keywords": true, "categories": true, "documentation": true, "license-file": true, "default-run": true,
		"autobins": true, "autoexamples": true, "autotests": true, "autobenches": true, "exclude": true, "include": true,
		"metadata": true, "build": true,
	}
	dependencyKeys = map[string]bool{"version": true, "features": true, "default-features": true, "default_features": true,
		"path": true, "workspace": true, "package": true}
	packageName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,63}$`)
)

// ParseManifest reads a project's Cargo.toml and checks it against the
// profile: its dependencies (and dev-dependencies) must be crates the
// profile has, at versions its lock satisfies, with features it was built
// with; errors list what is available. validEdition says whether an
// edition is one the compiler knows.
func ParseManifest(text string, profile Profile, validEdition func(string) bool) (Manifest, error) {
	bad := func(format string, args ...any) error { return fileErr(ManifestPath, format, args...) }
	var doc map[string]any
	if _, err := toml.Decode(text, &doc); err != nil {
		return Manifest{}, bad("is not valid TOML: %s", err)
	}
	for _, k := range sortedKeys(doc) {
		if !manifestSections[k] {
			return Manifest{}, bad("[%s] is not supported: the sandbox reads [package], [dependencies] and [dev-dependencies]; the prepared profile decides how the crate is built", k)
		}
	}
	var m Manifest
	if pkg, ok := doc["package"]; ok {
		table, ok := pkg.(map[string]any)
		if !ok {
			return Manifest{}, bad("package must be a table")
		}
		for _, k := range sortedKeys(table) {
			if !packageKeys[k] {
				return Manifest{}, bad("package.%s is not supported", k)
			}
		}
		str := func(key string) (string, error) {
			v, ok := table[key]
			if !ok {
				return "", nil
			}
			s, ok := v.(string)
			if !ok {
				return "", bad("package.%s must be a string", key)
			}
			return s, nil
		}
		var err error
		p := &m.Package
		for _, f := range []struct {
			key string
			dst *string
		}{{"name", &p.Name}, {"version", &p.Version}, {"edition", &m.Edition}, {"description", &p.Description},
			{"homepage", &p.Homepage}, {"repository", &p.Repository}, {"license", &p.License}, {"rust-version", &p.RustVersion}} {
			if *f.dst, err = str(f.key); err != nil {
				return Manifest{}, err
			}
		}
		if authors, ok := table["authors"].([]any); ok {
			for _, a := range authors {
				if s, ok := a.(string); ok {
					p.Authors = append(p.Authors, s)
				}
			}
		}
		if b, ok := table["build"]; ok && b != false {
			return Manifest{}, bad("package.build: build scripts are not run")
		}
		if p.Name != "" && !packageName.MatchString(p.Name) {
			return Manifest{}, bad("package.name %q: a name is letters, digits, '_' and '-', at most 64, not starting with a digit", p.Name)
		}
		if p.Version != "" {
			if _, ok := parseVersion(p.Version); !ok {
				return Manifest{}, bad("package.version %q is not a semantic version (like 0.1.0)", p.Version)
			}
		}
		if m.Edition != "" && !validEdition(m.Edition) {
			return Manifest{}, bad("package.edition %q is not an edition this compiler has", m.Edition)
		}
	}
	names := map[string]string{}
	for _, section := range []string{"dependencies", "dev-dependencies"} {
		deps, ok := doc[section]
		if !ok {
			continue
		}
		table, ok := deps.(map[string]any)
		if !ok {
			return Manifest{}, bad("%s must be a table", section)
		}
		for _, name := range sortedKeys(table) {
			pkg, err := checkDependency(section, name, table[name], profile)
			if err != nil {
				return Manifest{}, err
			}
			if err := m.addRename(names, section, name, pkg); err != nil {
				return Manifest{}, err
			}
		}
	}
	return m, nil
}

// addRename records that the dependency name stands for the profile
// crate pkg (in names: every crate name given so far → its package),
// and in Renames when the two differ as crate names. The same crate
// name for two different crates (in [dependencies] and
// [dev-dependencies]) is refused, as cargo refuses it.
func (m *Manifest) addRename(names map[string]string, section, name, pkg string) error {
	alias := strings.ReplaceAll(name, "-", "_")
	if prev, ok := names[alias]; ok && prev != pkg {
		return fileErr(ManifestPath, "%s.%s: the crate name %q already stands for %s", section, name, alias, prev)
	}
	names[alias] = pkg
	if alias == strings.ReplaceAll(pkg, "-", "_") {
		return nil
	}
	if m.Renames == nil {
		m.Renames = map[string]string{}
	}
	m.Renames[alias] = pkg
	return nil
}

// checkDependency checks one dependency against the profile and returns
// the profile crate it names: its package key if it has one, else its
// name.
func checkDependency(section, name string, spec any, profile Profile) (string, error) {
	where := section + "." + name
	bad := func(format string, args ...any) error {
		return fileErr(ManifestPath, "%s: %s", where, fmt.Sprintf(format, args...))
	}
	pkg := name
	if table, ok := spec.(map[string]any); ok {
		if v, ok := table["package"]; ok {
			s, ok := v.(string)
			if !ok || !packageName.MatchString(s) {
				return "", bad("package must be a crate's name")
			}
			pkg = s
		}
	}
	crate, ok := profile[pkg]
	if !ok {
		return "", bad("the prepared profile has no crate %q; available: %s", pkg, profile.Available())
	}
	var req string
	var features []string
	switch s := spec.(type) {
	case string:
		req = s
	case map[string]any:
		for _, k := range sortedKeys(s) {
			if !dependencyKeys[k] {
				return "", bad("%q is not supported (only version, features, default-features, package, and path or workspace for the profile's own copy)", k)
			}
		}
		if v, ok := s["version"]; ok {
			if req, ok = v.(string); !ok {
				return "", bad("version must be a string")
			}
		}
		if f, ok := s["features"]; ok {
			list, ok := f.([]any)
			if !ok {
				return "", bad("features must be a list of strings")
			}
			for _, x := range list {
				str, ok := x.(string)
				if !ok {
					return "", bad("features must be a list of strings")
				}
				features = append(features, str)
			}
		}
	default:
		return "", bad("must be a version string or a table")
	}
	if req != "" {
		matches, err := versionMatches(req, crate.Version)
		if err != nil {
			return "", bad("version %q: %s", req, err)
		}
		if !matches {
			return "", bad("version %q does not match the profile's %s %s", req, pkg, crate.Version)
		}
	}
	have := map[string]bool{"default": true}
	for _, f := range crate.Features {
		have[f] = true
	}
	for _, f := range features {
		if !have[f] {
			return "", bad("feature %q is not built in the prepared profile; %s has: %s", f, pkg, strings.Join(append([]string{"default"}, crate.Features...), ", "))
		}
	}
	return pkg, nil
}

// version is a parsed semantic version (pre-release kept as text).
type version struct {
	major, minor, patch int
	pre                 string
}

func parseVersion(s string) (version, bool) {
	s, _, _ = strings.Cut(s, "+")
	s, pre, _ := strings.Cut(s, "-")
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return version{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return version{}, false
		}
		n[i] = v
	}
	return version{n[0], n[1], n[2], pre}, true
}

func (v version) less(w version) bool {
	if v.major != w.major {
		return v.major < w.major
	}
	if v.minor != w.minor {
		return v.minor < w.minor
	}
	if v.patch != w.patch {
		return v.patch < w.patch
	}
	return v.pre != "" && (w.pre == "" || v.pre < w.pre)
}

// versionMatches says whether cargo's version requirement req (a
// comma-separated list of comparators: bare or ^ caret, ~, =, <, <=, >,
// >=, wildcards) admits the locked version have.
func versionMatches(req, have string) (bool, error) {
	v, ok := parseVersion(have)
	if !ok {
		return false, fmt.Errorf("the profile's version %q does not parse", have)
	}
	for _, c := range strings.Split(req, ",") {
		ok, err := comparatorMatches(strings.TrimSpace(c), v)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func comparatorMatches(c string, v version) (bool, error) {
	op := ""
	for _, o := range []string{">=", "<=", "^", "~", "=", ">", "<"} {
		if strings.HasPrefix(c, o) {
			op, c = o, strings.TrimSpace(c[len(o):])
			break
		}
	}
	if c == "*" {
		return true, nil
	}
	parts := strings.Split(strings.SplitN(c, "-", 2)[0], ".")
	if len(parts) > 3 || parts[0] == "" {
		return false, fmt.Errorf("not a version requirement")
	}
	var n [3]int
	given := 0
	for i, p := range parts {
		if p == "*" || p == "x" || p == "X" {
			break
		}
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return false, fmt.Errorf("not a version requirement")
		}
		n[i] = x
		given++
	}
	lo := version{n[0], n[1], n[2], ""}
	if given == 3 && strings.Contains(c, "-") {
		lo.pre = strings.SplitN(c, "-", 2)[1]
	}
	// The exclusive upper bound of the range the comparator names.
	upper := func(level int) version {
		switch level {
		case 0:
			return version{lo.major + 1, 0, 0, ""}
		case 1:
			return version{lo.major, lo.minor + 1, 0, ""}
		default:
			return version{lo.major, lo.minor, lo.patch + 1, ""}
		}
	}
	inRange := func(hi version) bool { return !v.less(lo) && v.less(hi) }
	switch op {
	case "", "^":
		if given < 3 && op == "" && strings.ContainsAny(c, "*xX") {
			return inRange(upper(given - 1)), nil
		}
		// The first non-zero part given is the one that may not change.
		level := 0
		switch {
		case lo.major > 0 || given == 1:
			level = 0
		case lo.minor > 0 || given == 2:
			level = 1
		default:
			level = 2
		}
		return inRange(upper(level)), nil
	case "~":
		if given == 1 {
			return inRange(upper(0)), nil
		}
		return inRange(upper(1)), nil
	case "=":
		if given < 3 {
			return inRange(upper(given - 1)), nil
		}
		return !v.less(lo) && !lo.less(v), nil
	case ">":
		if given < 3 {
			return !v.less(upper(given - 1)), nil
		}
		return lo.less(v), nil
	case ">=":
		return !v.less(lo), nil
	case "<":
		return v.less(lo), nil
	case "<=":
		if given < 3 {
			return v.less(upper(given - 1)), nil
		}
		return !lo.less(v), nil
	}
	return false, fmt.Errorf("not a version requirement")
}
