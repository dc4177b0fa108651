package toolchain

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Manifest records what set-up prepared; the compiler builds every rustc
// command line from it, so a user compile never consults cargo.
type Manifest struct {
	// RustcVersion is `rustc -vV`'s first line; a compile refuses a
	// manifest made by another compiler.
	RustcVersion string `json:"rustc_version"`
	Rustc        string `json:"rustc"`
	// Sysroot holds the wasm32-wasip1 std built from Debian's std source.
	Sysroot string `json:"sysroot"`
	// TargetDeps and HostDeps are cargo's deps dirs for the guest target
	// and for proc-macros (built for the host).
	TargetDeps string `json:"target_deps"`
	HostDeps   string `json:"host_deps"`
	// Externs maps each crate a stub may name to its rlib.
	Externs map[string]string `json:"externs"`
	// NativeExterns and NativeDeps are the same profile built for the host
	// (NativeTarget), for the native reference build a guide-parity check
	// compares against: no jail, no wasm. Its proc-macros are in HostDeps.
	NativeExterns map[string]string `json:"native_externs,omitempty"`
	NativeDeps    string            `json:"native_deps,omitempty"`
	// ReferenceDigest is the Digest the native reference was built for;
	// a reference from other inputs is not used (HasReference).
	ReferenceDigest string `json:"reference_digest,omitempty"`
	// LinkArgs are the rustc flags that link a wasm32-wasip1 command.
	LinkArgs []string `json:"link_args"`
	// LinkObjects are objects linked into every user module but not into
	// the profile (realpath for the old wasi-libc): they are not in
	// LinkArgs, which the profile's RUSTFLAGS repeat, so adding one
	// rebuilds nothing.
	LinkObjects []string `json:"link_objects,omitempty"`
	// Digest identifies the prepared inputs (toolchain, lock file,
	// patches, shims); caches key on it.
	Digest string `json:"digest"`
}

const manifestName = "manifest.json"

// Load reads the manifest set-up wrote into stateDir.
func Load(stateDir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no prepared toolchain in %s: run `make setup` (or `rocket-sandbox setup`) first", stateDir)
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse manifest %s: %w", stateDir, err)
	}
	return &m, nil
}

// HasReference reports whether the native reference is built for the
// prepared inputs, and how to build it when it is not.
func (m *Manifest) HasReference() error {
	if len(m.NativeExterns) == 0 || m.ReferenceDigest != m.Digest {
		return errors.New("the native reference profile is not built for this toolchain: run `make setup-reference` (rocket-sandbox setup --reference)")
	}
	return nil
}

func (m *Manifest) save(stateDir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(stateDir, manifestName+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return os.Rename(tmp, filepath.Join(stateDir, manifestName))
}

// The other tools of the same toolchain as rustc-web that the service
// runs in the compile jail: they link the same librustc_driver, which
// ReadOnlyPaths binds already.
const (
	Rustfmt      = "/usr/bin/rustfmt"
	ClippyDriver = "/usr/bin/clippy-driver"
)

// ReadOnlyPaths lists every host path a compile reads: the toolchain, its
// shared libraries, the wasm std, wasi-libc and the prepared artifacts. A
// jail binds exactly these, read-only, at the same places.
func (m *Manifest) ReadOnlyPaths() []string {
	paths := []string{
		m.Rustc,
		Rustfmt,      // the Format button (rustfmt-web)
		ClippyDriver, // the Clippy button (rust-web-clippy)
		Linker,
		"/usr/bin/lld-22",
		"/usr/lib/llvm-22",
		"/usr/lib/x86_64-linux-gnu", // librustc_driver, LLVM, glibc
		"/lib64",                    // -> usr/lib64: the ELF interpreter's path
		"/usr/lib64",                // its link to /lib/x86_64-linux-gnu/ld-linux…
		"/lib",                      // -> usr/lib, which that link goes through
		"/usr/lib/rustlib",          // the host std that proc-macros link
		WasiLibDir,
		m.Sysroot,
		m.TargetDeps,
		m.HostDeps,
	}
	for _, a := range m.LinkArgs {
		if p, ok := linkArgPath(a); ok && !under(p, paths) {
			paths = append(paths, p)
		}
	}
	for _, p := range m.LinkObjects {
		if !under(p, paths) {
			paths = append(paths, p)
		}
	}
	return paths
}

func linkArgPath(a string) (string, bool) {
	const prefix = "link-arg="
	if len(a) > len(prefix) && a[:len(prefix)] == prefix && filepath.IsAbs(a[len(prefix):]) {
		return a[len(prefix):], true
	}
	return "", false
}

func under(p string, dirs []string) bool {
	for _, d := range dirs {
		if rel, err := filepath.Rel(d, p); err == nil && rel != ".." && !filepath.IsAbs(rel) && (len(rel) < 3 || rel[:3] != "../") {
			return true
		}
	}
	return false
}
