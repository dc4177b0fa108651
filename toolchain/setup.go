package toolchain

import (
	"bufio"
	"context"
	_ "embed"
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
	cfg      Config
	note     string
	release  string // e.g. "1.96.0"
	manifest Manifest
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
	s.note = s.manifest.RustcVersion
	return nil
}

func (s *setup) stdSource() string { return "/usr/lib/rustlib/src/rust/library/std" }
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

func (s *setup) sysrootDir() string {
	return filepath.Join(s.cfg.StateDir, "sysroot-"+s.release)
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

func (s *setup) buildSysroot(ctx context.Context) error {
	libDir := filepath.Join(s.sysrootDir(), "lib", "rustlib", Target, "lib")
	stamp := filepath.Join(s.sysrootDir(), ".stamp")
	s.manifest.Sysroot = s.sysrootDir()
	// A sysroot of this compiler is kept; one from before the test crate
	// (the test harness's --test needs libtest) gets it added: std,
	// panic_abort and test build to the same std rlibs, byte for byte,
	// so nothing compiled against the sysroot goes stale.
	upToDate := false
	if b, err := os.ReadFile(stamp); err == nil && string(b) == s.manifest.RustcVersion {
		if hasRlib(libDir, "test") {
			s.note = "up to date"
			return nil
		}
		upToDate = true
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
	env := s.env("RUSTC_BOOTSTRAP=1", "CARGO_TARGET_DIR="+target,
		"RUSTFLAGS=-C linker="+Linker+" -C link-self-contained=no -L "+WasiLibDir+" -C link-arg="+WasiLibDir+"/crt1-command.o")
	if _, err := s.cargoBuild(ctx, "  std for "+Target, work, env, "build", "--release", "--offline",
		"-Zbuild-std=std,panic_abort,test", "--target", Target, "--message-format=json-render-diagnostics"); err != nil {
		return err
	}
	deps := filepath.Join(target, Target, "release", "deps")
	rlibs, err := filepath.Glob(filepath.Join(deps, "*.rlib"))
	if err != nil || len(rlibs) == 0 {
		return fmt.Errorf("no std rlibs in %s", deps)
	}
	if upToDate {
		// Only the crates the sysroot lacks; an rlib's file name carries
		// its crate hash, so one of the same name is the same crate.
		added := 0
		for _, r := range rlibs {
			dst := filepath.Join(libDir, filepath.Base(r))
			if _, err := os.Stat(dst); err == nil {
				continue
			}
			if err := copyFile(r, dst); err != nil {
				return err
			}
			added++
		}
		s.note = fmt.Sprintf("added %d crates (test)", added)
		return nil
	}
	if err := os.RemoveAll(s.sysrootDir()); err != nil {
		return err
	}
	if err := os.MkdirAll(libDir, 0o755); err != nil {
		return err
	}
	for _, r := range rlibs {
		if err := copyFile(r, filepath.Join(libDir, filepath.Base(r))); err != nil {
			return err
		}
	}
	s.note = fmt.Sprintf("built %d crates", len(rlibs))
	return os.WriteFile(stamp, []byte(s.manifest.RustcVersion), 0o644)
}

// hasRlib says whether dir holds an rlib of crate name.
func hasRlib(dir, name string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "lib"+name+"-*.rlib"))
	return len(m) > 0
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
