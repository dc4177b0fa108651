// Package project is a request's Rust project as the sandbox sees it: the
// virtual root its files live under (at compile time in the jail, at run
// time in the guest), cargo's environment for its crate, the rules and
// limits its file set must meet before anything compiles, and the check of
// an optional Cargo.toml against the prepared dependency profile. It is
// pure: no I/O, no compiler, no engine.
package project

import (
	"strings"
)

// Root is the project's virtual root, one path for every phase: the
// compile runs with the project's files below it (the jail's work
// directory, which is also rustc's working directory), cargo's
// CARGO_MANIFEST_DIR names it, and the guest finds the same files there
// at run time. So `relative!("static")` (Rocket's macro, which expands to
// concat!(env!("CARGO_MANIFEST_DIR"), "/static")) and
// include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/x")) name
// the same files in the jail and in the guest. It is the jail's work
// directory because that is the one place the compile's files can be;
// see docs/design.md, "Projects".
const Root = "/work"

// Defaults of a package that has no Cargo.toml (or one that leaves them
// out): the crate a single stub has always been compiled as.
const (
	DefaultName    = "main"
	DefaultVersion = "0.1.0"
)

// Package is cargo's identity of the crate: what [package] in Cargo.toml
// says, or the defaults.
type Package struct {
	Name        string
	Version     string
	Authors     []string
	Description string
	Homepage    string
	Repository  string
	License     string
	RustVersion string
}

// WithDefaults fills a missing name and version.
func (p Package) WithDefaults() Package {
	if p.Name == "" {
		p.Name = DefaultName
	}
	if p.Version == "" {
		p.Version = DefaultVersion
	}
	return p
}

// CrateName is the crate's name as rustc knows it: the package name with
// '-' as '_', as cargo derives it.
func (p Package) CrateName() string {
	return strings.ReplaceAll(p.WithDefaults().Name, "-", "_")
}

// Env is the environment cargo gives rustc when it compiles this
// package's crate (a binary when bin is set, else a library), rooted at
// Root: the variables env!() and option_env!() may read, in a fixed order.
// CARGO (the path of cargo itself) is left out: there is no cargo in the
// jail, nor in the guest, for it to name.
func (p Package) Env(bin bool) []string {
	p = p.WithDefaults()
	major, minor, patch, pre := splitVersion(p.Version)
	env := []string{
		"CARGO_MANIFEST_DIR=" + Root,
		"CARGO_MANIFEST_PATH=" + Root + "/Cargo.toml",
		"CARGO_PKG_NAME=" + p.Name,
		"CARGO_PKG_VERSION=" + p.Version,
		"CARGO_PKG_VERSION_MAJOR=" + major,
		"CARGO_PKG_VERSION_MINOR=" + minor,
		"CARGO_PKG_VERSION_PATCH=" + patch,
		"CARGO_PKG_VERSION_PRE=" + pre,
		"CARGO_PKG_AUTHORS=" + strings.Join(p.Authors, ":"),
		"CARGO_PKG_DESCRIPTION=" + p.Description,
		"CARGO_PKG_HOMEPAGE=" + p.Homepage,
		"CARGO_PKG_REPOSITORY=" + p.Repository,
		"CARGO_PKG_LICENSE=" + p.License,
		"CARGO_PKG_LICENSE_FILE=",
		"CARGO_PKG_RUST_VERSION=" + p.RustVersion,
		"CARGO_PKG_README=",
		"CARGO_CRATE_NAME=" + p.CrateName(),
		"CARGO_PRIMARY_PACKAGE=1",
	}
	if bin {
		env = append(env, "CARGO_BIN_NAME="+p.Name)
	}
	return env
}

// splitVersion splits a semantic version into cargo's parts: major,
// minor, patch and the pre-release (without build metadata).
func splitVersion(v string) (major, minor, patch, pre string) {
	v, _, _ = strings.Cut(v, "+")
	v, pre, _ = strings.Cut(v, "-")
	parts := strings.SplitN(v, ".", 3)
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	return parts[0], parts[1], parts[2], pre
}

// Crate roots a project may have, and the top-level directory kept for
// the compile's output (as cargo keeps target/).
const (
	BinRoot   = "src/main.rs"
	LibRoot   = "src/lib.rs"
	OutputDir = "target"
)
