package toolchain

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/internal/digest"
)

// patchedDir is where [patch.crates-io] in harnesses/Cargo.toml points.
func (s *setup) patchedDir() string { return filepath.Join(s.cfg.SourceDir, "harnesses", ".patched") }

// crateOf splits "rocket_http-0.5.1.patch" into its crate and version.
func crateOf(patch string) (name, version string, ok bool) {
	base := strings.TrimSuffix(filepath.Base(patch), ".patch")
	i := strings.LastIndex(base, "-")
	if i <= 0 {
		return "", "", false
	}
	return base[:i], base[i+1:], true
}

// patchStamp, in each patched crate's directory, is the digest of the
// patch it was made with.
const patchStamp = ".rocket-sandbox-patch"

// patchCrates makes harnesses/.patched/<crate>-<version> for each patch:
// the pristine crates.io source with the patch applied. Only a crate
// whose patch changed is made again: cargo judges a path dependency by
// its files' times, so re-copying an unchanged crate (tokio, under
// everything) would rebuild most of the profile for nothing.
func (s *setup) patchCrates(ctx context.Context) error {
	patches, err := filepath.Glob(filepath.Join(s.cfg.SourceDir, "wasi-shims", "patches", "*.patch"))
	if err != nil || len(patches) == 0 {
		return fmt.Errorf("no patches in wasi-shims/patches")
	}
	var parts [][]byte
	want := map[string]string{} // crate dir name -> its patch's digest
	var stale []string          // patches whose crate must be made again
	for _, p := range patches {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		parts = append(parts, []byte(filepath.Base(p)), b)
		name, version, ok := crateOf(p)
		if !ok {
			return fmt.Errorf("patch %s is not named <crate>-<version>.patch", p)
		}
		dir := name + "-" + version
		want[dir] = digest.Parts(b)
		if !s.patchedWith(filepath.Join(s.patchedDir(), dir), want[dir]) {
			stale = append(stale, p)
		}
	}
	all := digest.Parts(parts...)
	stamp := filepath.Join(s.patchedDir(), ".stamp")
	if b, err := os.ReadFile(stamp); err == nil && string(b) == all && len(stale) == 0 {
		s.note = "up to date"
		return nil
	}
	// Crates no patch names any more (an older version) go.
	entries, _ := os.ReadDir(s.patchedDir())
	for _, e := range entries {
		if _, ok := want[e.Name()]; e.IsDir() && !ok {
			if err := os.RemoveAll(filepath.Join(s.patchedDir(), e.Name())); err != nil {
				return err
			}
		}
	}
	if len(stale) > 0 {
		if err := s.applyPatches(ctx, stale); err != nil {
			return err
		}
	}
	s.note = fmt.Sprintf("applied %d of %d patches", len(stale), len(patches))
	if err := os.MkdirAll(s.patchedDir(), 0o755); err != nil {
		return err
	}
	return os.WriteFile(stamp, []byte(all), 0o644)
}

// patchedWith says whether dir was made with the patch at p (digest d):
// its stamp says so. A crate without a stamp is made again: that the
// patch reverses cleanly there does not show it was made with this patch
// alone — a patch that lost a hunk (rocket's temp_dir, when std got it)
// reverses cleanly on a crate made with the larger one, whose extra hunk
// would stay.
func (s *setup) patchedWith(dir, d string) bool {
	have, err := os.ReadFile(filepath.Join(dir, patchStamp))
	return err == nil && string(have) == d
}

// applyPatches copies the pristine source of each patch's crate into
// .patched and applies the patch, then stamps the crate.
func (s *setup) applyPatches(ctx context.Context, patches []string) error {
	// Fetch the pristine crates.io sources through a throwaway project
	// that depends on exactly the patched versions.
	fetch := filepath.Join(s.cfg.StateDir, "build", "fetch")
	if err := os.MkdirAll(filepath.Join(fetch, "src"), 0o755); err != nil {
		return err
	}
	var manifest bytes.Buffer
	manifest.WriteString("[package]\nname = \"fetch-pristine\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n")
	for _, p := range patches {
		name, version, _ := crateOf(p)
		fmt.Fprintf(&manifest, "%s = \"=%s\"\n", name, version)
	}
	if err := os.WriteFile(filepath.Join(fetch, "Cargo.toml"), manifest.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(fetch, "src", "lib.rs"), nil, 0o644); err != nil {
		return err
	}
	out, err := s.run(ctx, fetch, s.env(), s.cfg.Cargo, "metadata", "--format-version", "1")
	if err != nil {
		return err
	}
	var meta struct {
		Packages []struct {
			Name         string `json:"name"`
			Version      string `json:"version"`
			ManifestPath string `json:"manifest_path"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(out, &meta); err != nil {
		return fmt.Errorf("cargo metadata: %w", err)
	}
	sources := map[string]string{}
	for _, p := range meta.Packages {
		sources[p.Name+"-"+p.Version] = filepath.Dir(p.ManifestPath)
	}
	for _, p := range patches {
		name, version, _ := crateOf(p)
		src, ok := sources[name+"-"+version]
		if !ok {
			return fmt.Errorf("crates.io source of %s %s not found", name, version)
		}
		dst := filepath.Join(s.patchedDir(), name+"-"+version)
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := copyTree(src, dst); err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		if _, err := s.run(ctx, dst, s.env(), "patch", "-p1", "-s", "--no-backup-if-mismatch", "-i", p); err != nil {
			return fmt.Errorf("apply %s: %w", filepath.Base(p), err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, patchStamp), []byte(digest.Parts(b)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		case d.Type().IsRegular():
			return copyFile(p, out)
		default:
			return nil // crates.io sources hold only files and dirs
		}
	})
}

// depsRustflags are the guest-target flags of the dependency build.
//
// tokio refuses fs, net, signal and multi-thread features on wasm unless
// built with tokio_unstable; with it they compile and the patched Rocket
// never uses what WASI cannot do.
//
// share-generics makes every dependency export the generic instances it
// compiled (Rocket's figment/serde extraction of its Config alone is
// ~1,000 of them), and a stub links those instead of instantiating its own
// copies: rustc shares generics by default below opt-level 2, so the stub
// side needs no flag, but the release-profile dependencies do (and
// RUSTC_BOOTSTRAP, see buildDeps). Hello world compiles in ~0.5 s instead
// of ~2 s (docs/performance.md).
//
// The link flags are a command's without its entry point (crt1-command.o,
// which calls main): some dependencies (slug, under tera) also build a
// cdylib, which has no main.
func (s *setup) depsRustflags() []string {
	flags := []string{"--sysroot", s.sysrootDir(), "--cfg", "tokio_unstable", "-Z", "share-generics=yes"}
	for i := 0; i < len(s.manifest.LinkArgs); i++ {
		a := s.manifest.LinkArgs[i]
		if a == "-C" && i+1 < len(s.manifest.LinkArgs) && strings.HasSuffix(s.manifest.LinkArgs[i+1], "/crt1-command.o") {
			i++
			continue
		}
		flags = append(flags, a)
	}
	return flags
}

// C compiler settings for build scripts that compile C for the guest (ring
// for rustls, libsqlite3-sys for sqlx, diesel and rusqlite): cc reads
// CC_<target> and friends. clang's default include path for wasm32 ends in
// the host's /usr/include (glibc headers), so the system dirs are dropped
// (-nostdlibinc) and only Debian's wasi-libc headers are named; clang's own
// builtin headers stay.
const (
	wasmCC     = "/usr/bin/clang-22"
	wasmAR     = "/usr/bin/llvm-ar-22"
	wasmCFlags = "-nostdlibinc -isystem /usr/include/wasm32-wasi"
	// sqliteHeader is force-included into the guest's C: SQLite's
	// settings for the guest (SQLITE_THREADSAFE=0: bookworm's wasi-libc has
	// no pthread.h). It is read after the command line's -D flags, so it
	// wins over libsqlite3-sys's own, and only the guest target sees it:
	// LIBSQLITE3_FLAGS, which has no per-target form, would reach the
	// host's SQLite too, which the sqlx macros link into the compiler.
	sqliteHeader = "wasi-shims/sqlite-wasi.h"
)

// wasmCEnv is the C environment of the guest build; source is the checkout.
func wasmCEnv(source string) []string {
	t := strings.ReplaceAll(Target, "-", "_")
	return []string{
		"CC_" + t + "=" + wasmCC,
		"AR_" + t + "=" + wasmAR,
		"CFLAGS_" + t + "=" + wasmCFlags + " -include " + filepath.Join(source, sqliteHeader),
	}
}

func (s *setup) buildDeps(ctx context.Context) error {
	ws := filepath.Join(s.cfg.SourceDir, "harnesses")
	target := filepath.Join(s.cfg.StateDir, "target")
	wrapper, err := s.writeRustcWrapper()
	if err != nil {
		return err
	}
	env := s.env(append([]string{"RUSTC_WRAPPER=" + wrapper, "CARGO_TARGET_DIR=" + target,
		"RUSTFLAGS=" + strings.Join(s.depsRustflags(), " ")}, wasmCEnv(s.cfg.SourceDir)...)...)
	externs, built, fresh, err := s.buildProfile(ctx, env, Target)
	if err != nil {
		return err
	}
	s.manifest.Externs = externs
	s.manifest.TargetDeps = filepath.Join(target, Target, "release", "deps")
	s.manifest.HostDeps = filepath.Join(target, "release", "deps")

	var parts [][]byte
	for _, f := range []string{"Cargo.toml", "Cargo.lock", "deps/Cargo.toml", "docs-tests/Cargo.toml", "docs-tests/src/lib.rs"} {
		b, err := os.ReadFile(filepath.Join(ws, f))
		if err != nil {
			return err
		}
		parts = append(parts, b)
	}
	shims, err := shimsDigest(filepath.Join(s.cfg.SourceDir, "wasi-shims"))
	if err != nil {
		return err
	}
	parts = append(parts, []byte(s.manifest.RustcVersion), []byte(shims), []byte(strings.Join(s.depsRustflags(), " ")),
		[]byte(strings.Join(wasmCEnv(s.cfg.SourceDir), " ")), []byte(rustcWrapper))
	s.manifest.Digest = digest.Parts(parts...)
	s.note = fmt.Sprintf("%d crates built, %d fresh, %d externs", built, fresh, len(externs))
	return nil
}

// shimsDigest hashes the build inputs under wasi-shims (dir): the crate
// and std patches, the stubs, the vsock crate, the SQLite header; not the
// Markdown that explains them, so a docs edit does not rebuild the
// profile.
func shimsDigest(dir string) (string, error) {
	return treeDigest(dir, func(rel string) bool { return strings.HasSuffix(rel, ".md") })
}

// NativeTarget is the host target of the native reference build.
const NativeTarget = "x86_64-unknown-linux-gnu"

// buildNativeDeps builds the same profile for the host: the guide-parity
// reference compiles a stub natively against it, with no jail and no
// wasm. The explicit --target puts its rlibs in a directory of their own;
// its proc-macros and build scripts go to release/deps beside the guest
// build's (HostDeps), reused where identical. No RUSTFLAGS: tokio needs no tokio_unstable natively, and
// every wasi patch is cfg(target_os = "wasi"), so this is Rocket as
// published. C code (ring, SQLite) goes to the host's cc.
func (s *setup) buildNativeDeps(ctx context.Context) error {
	target := filepath.Join(s.cfg.StateDir, "target")
	wrapper, err := s.writeRustcWrapper()
	if err != nil {
		return err
	}
	// The same wrapper as the guest build (a no-op here), so cargo sees the
	// same compiler for the proc-macros and build scripts both builds share.
	// Panics unwind, as under cargo and in Rocket's own doctests (a handler's
	// panic is a 500 natively): the workspace's release profile says abort,
	// which the guest needs.
	//
	// opt-level 0, as `cargo test` builds dependencies (the dev profile):
	// the reference judges outcomes, not speed, and it builds in about half
	// the time. Build scripts and proc-macros are unaffected (cargo builds
	// host units at opt-level 0 whatever the profile says), so they stay
	// shared with the guest build instead of being rebuilt.
	env := s.env("RUSTC_WRAPPER="+wrapper, "CARGO_TARGET_DIR="+target, "CARGO_PROFILE_RELEASE_PANIC=unwind",
		"CARGO_PROFILE_RELEASE_OPT_LEVEL=0")
	externs, built, fresh, err := s.buildProfile(ctx, env, NativeTarget)
	if err != nil {
		return err
	}
	s.manifest.NativeExterns = externs
	s.manifest.NativeDeps = filepath.Join(target, NativeTarget, "release", "deps")
	s.manifest.ReferenceDigest = s.manifest.Digest
	s.note = fmt.Sprintf("%d crates built, %d fresh, %d externs", built, fresh, len(externs))
	return nil
}

// rustcWrapper runs rustc with RUSTC_BOOTSTRAP=1 for guest crates only,
// which admits -Z share-generics (depsRustflags) on this stable compiler as
// it admits -Zbuild-std for the sysroot. Setting it for the whole cargo run
// would reach build scripts too: proc-macro2's probes then turn on its
// nightly span API, and the proc-macros shared with the native build (one
// file each in release/deps) would be rebuilt in place with another crate
// hash whenever the two builds alternate, so the guest rlibs could no
// longer find theirs ("can't find crate for async_stream_impl").
const rustcWrapper = `#!/bin/sh
# rocket-sandbox set-up (toolchain/crates.go): RUSTC_BOOTSTRAP for guest crates only.
for a in "$@"; do
  if [ "$a" = "` + Target + `" ]; then export RUSTC_BOOTSTRAP=1; fi
done
exec "$@"
`

func (s *setup) writeRustcWrapper() (string, error) {
	p := filepath.Join(s.cfg.StateDir, "build", "rustc-wrapper.sh")
	if b, err := os.ReadFile(p); err == nil && string(b) == rustcWrapper {
		return p, nil // unchanged: keep its mtime
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(p, []byte(rustcWrapper), 0o755); err != nil {
		return "", fmt.Errorf("write rustc wrapper: %w", err)
	}
	return p, nil
}

// buildProfile builds the sandbox-deps crate for target and returns the
// rlib of each of its direct dependencies, by the name a stub uses for it
// (the resolve's `name`, e.g. rocket_dyn_templates): these become the
// compile's --extern flags.
func (s *setup) buildProfile(ctx context.Context, env []string, target string) (externs map[string]string, built, fresh int, err error) {
	ws := filepath.Join(s.cfg.SourceDir, "harnesses")
	out, err := s.cargoBuild(ctx, "  "+target, ws, env, "build", "--release", "--locked", "--target", target,
		"-p", "sandbox-deps", "--message-format=json-render-diagnostics")
	if err != nil {
		return nil, 0, 0, err
	}
	rlibs := map[string]string{} // package id -> rlib for target
	targetDir := string(filepath.Separator) + target + string(filepath.Separator)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var msg struct {
			Reason    string   `json:"reason"`
			PackageID string   `json:"package_id"`
			Filenames []string `json:"filenames"`
			Fresh     bool     `json:"fresh"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil || msg.Reason != "compiler-artifact" {
			continue
		}
		if msg.Fresh {
			fresh++
		} else {
			built++
		}
		for _, f := range msg.Filenames {
			if strings.HasSuffix(f, ".rlib") && strings.Contains(f, targetDir) {
				rlibs[msg.PackageID] = f
			}
		}
	}

	meta, err := s.run(ctx, ws, env, s.cfg.Cargo, "metadata", "--format-version", "1", "--locked", "--filter-platform", target)
	if err != nil {
		return nil, 0, 0, err
	}
	var m struct {
		Packages []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"packages"`
		Resolve struct {
			Nodes []struct {
				ID   string `json:"id"`
				Deps []struct {
					Name string `json:"name"`
					Pkg  string `json:"pkg"`
				} `json:"deps"`
			} `json:"nodes"`
		} `json:"resolve"`
	}
	if err := json.Unmarshal(meta, &m); err != nil {
		return nil, 0, 0, fmt.Errorf("cargo metadata: %w", err)
	}
	var profileID string
	for _, p := range m.Packages {
		if p.Name == "sandbox-deps" {
			profileID = p.ID
		}
	}
	externs = map[string]string{}
	for _, n := range m.Resolve.Nodes {
		if n.ID != profileID {
			continue
		}
		for _, d := range n.Deps {
			if r, ok := rlibs[d.Pkg]; ok {
				externs[d.Name] = r
			}
		}
	}
	if _, ok := externs["rocket"]; !ok {
		return nil, 0, 0, fmt.Errorf("the %s dependency build produced no rlib for rocket", target)
	}
	return externs, built, fresh, nil
}
