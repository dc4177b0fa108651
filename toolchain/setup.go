package toolchain

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/cargoref"
	"github.com/rocket-sandbox/rocket-sandbox/internal/digest"
)

//go:embed debian-packages.txt
var debianPackages string

// testsMarker starts the list's part that only the tests need (Redis,
// Chromium): never the service's, never verified by set-up.
const testsMarker = "# @tests"

// Packages lists the Debian packages set-up needs: the list above its
// tests part.
func Packages() []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(debianPackages))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == testsMarker {
			break
		}
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// Setup prepares everything a compile needs and returns the manifest; with
// cfg.Reference it also builds the native reference (the same profile for
// the host), which only the parity tool, its tests and the native
// benchmark use, so `make run` does not wait for it. Steps whose inputs are
// unchanged are skipped, so a second run is fast.
func Setup(ctx context.Context, cfg Config) (*Manifest, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &setup{cfg: cfg}
	type step struct {
		name string
		run  func(context.Context) error
	}
	steps := []step{
		{"check Debian packages", s.checkPackages},
		{"check rustc and its std source agree", s.checkToolchain},
		{"patch crates for wasm32-wasip1", s.patchCrates},
		// The profile's crates download while std compiles: one needs the
		// network, the other the CPUs.
		{"wasm32-wasip1 std sysroot (and download the profile's crates)", s.buildSysrootAndFetch},
		{"link support (pthread stubs)", s.buildStubs},
		{"link support for user modules (realpath)", s.buildLinkShims},
		{"build the dependency profile", s.buildDeps},
	}
	if cfg.Reference {
		steps = append(steps,
			step{"build the dependency profile for the host (native reference)", s.buildNativeDeps},
			step{"prepare the cargo reference (fetch and build the profile for cargo test --doc)", s.prepareCargoReference})
	}
	total := time.Now()
	for i, st := range steps {
		start := time.Now()
		s.logf("[setup %d/%d] %s ...", i+1, len(steps), st.name)
		if err := st.run(ctx); err != nil {
			return nil, fmt.Errorf("setup step %q: %w", st.name, err)
		}
		s.logf("[setup %d/%d] %s: %s (%.1fs)", i+1, len(steps), st.name, s.note, time.Since(start).Seconds())
		s.note = "done"
	}
	if !cfg.Reference {
		s.keepReference()
	}
	if err := s.manifest.save(cfg.StateDir); err != nil {
		return nil, err
	}
	s.logf("[setup] ready in %.1fs; state in %s", time.Since(total).Seconds(), cfg.StateDir)
	return &s.manifest, nil
}

// keepReference carries a native reference built earlier over into the new
// manifest when it was built from the same inputs: `make run` after
// `make test` must not forget it, nor keep a stale one.
func (s *setup) keepReference() {
	old, err := Load(s.cfg.StateDir)
	if err != nil || old.ReferenceDigest != s.manifest.Digest {
		return
	}
	s.manifest.NativeExterns, s.manifest.NativeDeps, s.manifest.ReferenceDigest = old.NativeExterns, old.NativeDeps, old.ReferenceDigest
}

type setup struct {
	cfg     Config
	note    string
	release string // e.g. "1.96.0"
	// stdDigest identifies the std the sysroot is built from: the
	// compiler's release and the std patches (wasi-shims/std).
	stdDigest string
	manifest  Manifest
}

// prepareCargoReference makes the parity tool's reference of record ready:
// the generated crate's dependencies downloaded into the reference's own
// CARGO_HOME and built for `cargo test --doc` (internal/cargoref), so a
// parity run compiles only its blocks, offline.
func (s *setup) prepareCargoReference(ctx context.Context) error {
	c := cargoref.Config{SourceDir: s.cfg.SourceDir, Dir: cargoref.Dir(s.cfg.StateDir), Cargo: s.cfg.Cargo, Rustc: s.cfg.Rustc, Log: s.cfg.Log}
	if err := c.Prepare(ctx); err != nil {
		return err
	}
	s.note = "ready in " + c.Dir
	return nil
}

func (s *setup) logf(format string, a ...any) { fmt.Fprintf(s.cfg.Log, format+"\n", a...) }

func (s *setup) checkPackages(ctx context.Context) error {
	if missing := MissingPackages(ctx); len(missing) > 0 {
		return fmt.Errorf("missing Debian packages %s: run `make setup` (it installs them) or `apt-get install --no-install-recommends %s`",
			strings.Join(missing, ", "), strings.Join(missing, " "))
	}
	s.note = fmt.Sprintf("%d present", len(Packages()))
	return nil
}

// MissingPackages lists the packages of Packages() that dpkg does not
// report as installed.
func MissingPackages(ctx context.Context) []string {
	var missing []string
	for _, p := range Packages() {
		out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Status}", p).Output()
		if err != nil || !strings.Contains(string(out), "install ok installed") {
			missing = append(missing, p)
		}
	}
	return missing
}

func (s *setup) checkToolchain(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, s.cfg.Rustc, "-vV").Output()
	if err != nil {
		return fmt.Errorf("%s -vV: %w (is rustc-web installed?)", s.cfg.Rustc, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "release: "); ok {
			s.release = v
		}
	}
	if s.release == "" {
		return fmt.Errorf("cannot read the release from `%s -vV`", s.cfg.Rustc)
	}
	s.manifest.RustcVersion = lines[0]
	s.manifest.Rustc = s.cfg.Rustc
	// -Zbuild-std compiles the std source under the sysroot with the
	// vendored crates from Debian's source tree; both must be this
	// compiler's exact version or the build fails in obscure ways.
	if _, err := os.Stat(s.stdSource()); err != nil {
		return fmt.Errorf("rustc %s has no std source at %s: install rust-web-src matching rustc-web", s.release, s.stdSource())
	}
	if _, err := os.Stat(s.vendorDir()); err != nil {
		return fmt.Errorf("rustc is %s but Debian's std source for it (%s) is missing: the compiler and rust-web-src disagree; install matching versions of rustc-web and rust-web-src",
			s.release, s.vendorDir())
	}
	for _, p := range []string{Linker, filepath.Join(WasiLibDir, "crt1-command.o"), filepath.Join(WasiLibDir, "libc.a")} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s missing (lld-22 and wasi-libc provide it): %w", p, err)
		}
	}
	if s.stdDigest, err = stdPatchDigest(s.cfg.SourceDir, s.release); err != nil {
		return err
	}
	s.note = s.manifest.RustcVersion
	return nil
}

// stdLibrary is Debian's std source (rust-web-src): the workspace
// -Zbuild-std compiles, and the path the sandbox's std names its files by.
const stdLibrary = "/usr/lib/rustlib/src/rust/library"

func (s *setup) stdSource() string { return filepath.Join(stdLibrary, "std") }
func (s *setup) vendorDir() string {
	return filepath.Join("/usr/src", "rustc-"+s.release, "library", "vendor")
}

// env is the environment of every cargo and rustc run: Debian's tools
// first, never rustup's.
func (s *setup) env(extra ...string) []string {
	env := []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + os.Getenv("HOME"),
		"RUSTC=" + s.cfg.Rustc,
		"RUSTDOC=/usr/bin/rustdoc",
		"CARGO_TERM_COLOR=never",
	}
	if ch := os.Getenv("CARGO_HOME"); ch != "" {
		env = append(env, "CARGO_HOME="+ch)
	}
	return append(env, extra...)
}

func (s *setup) run(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tail := stderr.String()
		if len(tail) > 4000 {
			tail = "..." + tail[len(tail)-4000:]
		}
		return out, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, tail)
	}
	return out, nil
}

// sysrootDir is named for the std it holds, so a std patch change builds a
// new sysroot, and the profile's RUSTFLAGS (its --sysroot) and with them
// the manifest's Digest change too: cargo rebuilds every guest crate
// against the new std, and caches keyed on the Digest start afresh.
func (s *setup) sysrootDir() string {
	return filepath.Join(s.cfg.StateDir, "sysroot-"+s.release+"-"+s.stdDigest)
}

// stdPatchesDir holds the patches to std (wasi-shims/README.md), applied
// in name order to a copy of stdLibrary with `patch -p1`.
const stdPatchesDir = "wasi-shims/std"

func stdPatches(sourceDir string) ([]string, error) {
	return filepath.Glob(filepath.Join(sourceDir, stdPatchesDir, "*.patch"))
}

// stdPatchDigest is the first 12 hex digits of the digest of the release
// and the std patches (names and contents).
func stdPatchDigest(sourceDir, release string) (string, error) {
	patches, err := stdPatches(sourceDir)
	if err != nil {
		return "", err
	}
	parts := [][]byte{[]byte(release)}
	for _, p := range patches {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		parts = append(parts, []byte(filepath.Base(p)), b)
	}
	return digest.Parts(parts...)[:12], nil
}

// stdCopy is the patched copy of stdLibrary the sysroot is built from. It
// lives inside the sysroot, where rust-src would (lib/rustlib/src/rust), so
// the compile jail, which binds the sysroot, can read std's source for
// diagnostics' snippets as it could read Debian's.
func (s *setup) stdCopy() string {
	return filepath.Join(s.sysrootDir(), "lib", "rustlib", "src", "rust", "library")
}

// copyStd makes stdCopy: Debian's library tree with the std patches
// applied.
func (s *setup) copyStd(ctx context.Context) error {
	if err := copyTree(stdLibrary, s.stdCopy()); err != nil {
		return fmt.Errorf("copy %s: %w", stdLibrary, err)
	}
	patches, err := stdPatches(s.cfg.SourceDir)
	if err != nil {
		return err
	}
	for _, p := range patches {
		if _, err := s.run(ctx, s.stdCopy(), s.env(), "patch", "-p1", "-s", "--no-backup-if-mismatch", "-i", p); err != nil {
			return fmt.Errorf("apply %s to std: %w", filepath.Base(p), err)
		}
	}
	return nil
}

// stdRemapFlags give the patched copy Debian's path wherever a path
// reaches the user: file!() (a panic's location inside std) and
// diagnostics. A program's output and a compile's messages stay what they
// were before std was patched and never name the state dir; a
// diagnostic's snippet is still read from the copy (rustc keeps the local
// path for that).
func (s *setup) stdRemapFlags() string {
	return "--remap-path-prefix=" + s.stdCopy() + "=" + stdLibrary + " --remap-path-scope=macro,diagnostics"
}

// checkStdSource fails unless cargo compiled std from the patched copy:
// the source root comes from __CARGO_TESTS_ONLY_SRC_ROOT, an internal
// variable a future cargo could drop, which would otherwise silently
// build Debian's unpatched std.
func (s *setup) checkStdSource(out []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var msg struct {
			Reason string `json:"reason"`
			Target struct {
				Name    string `json:"name"`
				SrcPath string `json:"src_path"`
			} `json:"target"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil || msg.Reason != "compiler-artifact" || msg.Target.Name != "std" {
			continue
		}
		if !under(msg.Target.SrcPath, []string{s.stdCopy()}) {
			return fmt.Errorf("cargo built std from %s, not from the patched copy in %s: does this cargo still read __CARGO_TESTS_ONLY_SRC_ROOT?",
				msg.Target.SrcPath, s.stdCopy())
		}
		return nil
	}
	return errors.New("cargo reported no std artifact")
}

// buildSysrootAndFetch builds the std sysroot while cargo downloads the
// dependency profile's crates into CARGO_HOME.
func (s *setup) buildSysrootAndFetch(ctx context.Context) error {
	fetched := make(chan error, 1)
	fetchStart := time.Now()
	go func() { fetched <- s.fetchProfile(ctx) }()
	sysErr := s.buildSysroot(ctx)
	note := s.note
	fetchErr := <-fetched
	if sysErr != nil {
		return sysErr
	}
	if fetchErr != nil {
		return fmt.Errorf("download the profile's crates: %w", fetchErr)
	}
	s.note = fmt.Sprintf("%s; crates downloaded (%.1fs)", note, time.Since(fetchStart).Seconds())
	return nil
}

// fetchProfile downloads every crate of the profile's lock file (a no-op
// when they are already in CARGO_HOME).
func (s *setup) fetchProfile(ctx context.Context) error {
	_, err := s.run(ctx, filepath.Join(s.cfg.SourceDir, "harnesses"), s.env(), s.cfg.Cargo, "fetch", "--locked")
	return err
}

// buildSysroot builds std, panic_abort and test for the guest from the
// patched copy of Debian's std source (stdCopy) into sysrootDir, unless
// its stamp says it is built from the same compiler and patches.
//
// -Zbuild-std takes its source from the compiler's sysroot
// (lib/rustlib/src/rust/library), which is Debian's and must stay
// untouched, unless __CARGO_TESTS_ONLY_SRC_ROOT names another library
// dir. That variable is the least fragile way to point cargo elsewhere:
// a sysroot of our own would have to be the host compiler's too (cargo
// asks `rustc --print sysroot` for the host, without the target's
// RUSTFLAGS) and so mirror its host std and tools; a wrapper rewriting
// paths would be more code to go wrong. Because it is internal to cargo,
// checkStdSource verifies from cargo's own report that std was compiled
// from the copy.
func (s *setup) buildSysroot(ctx context.Context) error {
	libDir := filepath.Join(s.sysrootDir(), "lib", "rustlib", Target, "lib")
	stamp := filepath.Join(s.sysrootDir(), ".stamp")
	want := s.manifest.RustcVersion + "\nstd " + s.stdDigest
	s.manifest.Sysroot = s.sysrootDir()
	if b, err := os.ReadFile(stamp); err == nil && string(b) == want {
		s.note = "up to date"
		return nil
	}
	// The stamp is written last: a sysroot left half-made by an
	// interrupted set-up is made again from scratch.
	if err := os.RemoveAll(s.sysrootDir()); err != nil {
		return err
	}
	if err := s.copyStd(ctx); err != nil {
		return err
	}
	work := filepath.Join(s.cfg.StateDir, "build", "std")
	if err := os.MkdirAll(filepath.Join(work, "src"), 0o755); err != nil {
		return err
	}
	files := map[string]string{
		"Cargo.toml":  "[package]\nname = \"std-builder\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[profile.release]\npanic = \"abort\"\n",
		"src/main.rs": "fn main() {}\n",
		// std's own dependencies come from Debian's vendored copies.
		".cargo/config.toml": fmt.Sprintf("[source.crates-io]\nreplace-with = \"rust-std-vendor\"\n\n[source.rust-std-vendor]\ndirectory = %q\n", s.vendorDir()),
	}
	for name, body := range files {
		p := filepath.Join(work, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	target := filepath.Join(work, "target")
	env := s.env("RUSTC_BOOTSTRAP=1", "CARGO_TARGET_DIR="+target, "__CARGO_TESTS_ONLY_SRC_ROOT="+s.stdCopy(),
		"RUSTFLAGS=-C linker="+Linker+" -C link-self-contained=no -L "+WasiLibDir+" -C link-arg="+WasiLibDir+"/crt1-command.o "+s.stdRemapFlags())
	out, err := s.cargoBuild(ctx, "  std for "+Target, work, env, "build", "--release", "--offline",
		"-Zbuild-std=std,panic_abort,test", "--target", Target, "--message-format=json-render-diagnostics")
	if err != nil {
		return err
	}
	if err := s.checkStdSource(out); err != nil {
		return err
	}
	// This build's rlibs, from cargo's report: the target dir keeps those
	// of earlier builds (another std, another crate hash) beside them.
	rlibs := builtRlibs(out, filepath.Join(target, Target, "release", "deps"))
	if len(rlibs) == 0 {
		return fmt.Errorf("no std rlibs in cargo's report")
	}
	if err := os.MkdirAll(libDir, 0o755); err != nil {
		return err
	}
	for _, r := range rlibs {
		if err := copyFile(r, filepath.Join(libDir, filepath.Base(r))); err != nil {
			return err
		}
	}
	s.note = fmt.Sprintf("built %d crates (std %s)", len(rlibs), s.stdDigest)
	return os.WriteFile(stamp, []byte(want), 0o644)
}

// builtRlibs lists the rlibs in dir that cargo's JSON report names.
func builtRlibs(out []byte, dir string) []string {
	var rlibs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var msg struct {
			Reason    string   `json:"reason"`
			Filenames []string `json:"filenames"`
		}
		if json.Unmarshal(sc.Bytes(), &msg) != nil || msg.Reason != "compiler-artifact" {
			continue
		}
		for _, f := range msg.Filenames {
			if strings.HasSuffix(f, ".rlib") && filepath.Dir(f) == dir {
				rlibs = append(rlibs, f)
			}
		}
	}
	sort.Strings(rlibs)
	return rlibs
}

// buildLinkShims builds the objects linked into user modules only
// (Manifest.LinkObjects): toolchain/linkshims.
func (s *setup) buildLinkShims(ctx context.Context) error {
	obj, err := s.linkObject(ctx, filepath.Join("toolchain", "linkshims", "realpath.rs"), "realpath")
	s.manifest.LinkObjects = []string{obj}
	return err
}

func (s *setup) buildStubs(ctx context.Context) error {
	obj, err := s.linkObject(ctx, filepath.Join("wasi-shims", "pthread-stubs", "stubs.rs"), "pthread_stubs")
	s.manifest.LinkArgs = []string{
		"-C", "linker=" + Linker,
		"-C", "link-self-contained=no",
		"-L", "native=" + WasiLibDir,
		"-C", "link-arg=" + WasiLibDir + "/crt1-command.o",
		"-C", "link-arg=" + obj,
	}
	return err
}

// linkObject builds the no_std Rust source rel (below the source dir)
// into a wasm object named for the crate, the compiler and the source,
// unless it is there already, and returns its path.
func (s *setup) linkObject(ctx context.Context, rel, crate string) (string, error) {
	src := filepath.Join(s.cfg.SourceDir, rel)
	body, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	obj := filepath.Join(s.cfg.StateDir, "link", crate+"-"+digest.Parts([]byte(s.manifest.RustcVersion), body)[:16]+".o")
	if _, err := os.Stat(obj); err == nil {
		s.note = "up to date"
		return obj, nil
	}
	if err := os.MkdirAll(filepath.Dir(obj), 0o755); err != nil {
		return obj, err
	}
	_, err = s.run(ctx, s.cfg.SourceDir, s.env(), s.cfg.Rustc, "--edition", "2021", "--crate-type", "lib",
		"--crate-name", crate, "--emit", "obj", "--target", Target, "--sysroot", s.sysrootDir(),
		"-C", "panic=abort", "-C", "opt-level=2", src, "-o", obj)
	return obj, err
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// treeDigest hashes the regular files under dir, by relative path.
func treeDigest(dir string, skip func(rel string) bool) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	var parts [][]byte
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return "", err
		}
		parts = append(parts, []byte(f), b)
	}
	return digest.Parts(parts...), nil
}
