package toolchain

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shimsTree writes a small wasi-shims tree: a crate patch, a std patch,
// a stub and the README.
func shimsTree(t *testing.T) string {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"patches/rocket-0.5.1.patch": "--- a/x\n+++ b/x\n",
		"std/temp_dir.patch":         "--- a/std/y\n+++ b/std/y\n",
		"pthread-stubs/stubs.rs":     "// stubs\n",
		"README.md":                  "# wasi-shims\n",
		"pthread-stubs/NOTES.md":     "why\n",
	} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

func TestShimsDigestIgnoresDocsButNotPatches(t *testing.T) {
	dir := shimsTree(t)
	before, err := shimsDigest(dir)
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("# wasi-shims, reworded\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pthread-stubs", "NOTES.md"), nil, 0o644))
	docs, err := shimsDigest(dir)
	require.NoError(t, err)
	assert.Equal(t, before, docs, "a docs edit keeps the profile")

	for _, input := range []string{"std/temp_dir.patch", "patches/rocket-0.5.1.patch", "pthread-stubs/stubs.rs"} {
		p := filepath.Join(dir, input)
		old, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, append(old, '\n'), 0o644))
		moved, err := shimsDigest(dir)
		require.NoError(t, err)
		assert.NotEqual(t, before, moved, "a change to %s rebuilds the profile", input)
		require.NoError(t, os.WriteFile(p, old, 0o644))
	}
}

// The sysroot is named for its std: a std patch change (or a new
// compiler) is a new sysroot dir, hence new --sysroot flags for the
// profile, hence a rebuilt profile and a new manifest Digest.
func TestSysrootDirFollowsTheStdPatches(t *testing.T) {
	src := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(src, stdPatchesDir), 0o755))
	patch := filepath.Join(src, stdPatchesDir, "temp_dir.patch")
	require.NoError(t, os.WriteFile(patch, []byte("one"), 0o644))
	sysroot := func(release string) string {
		d, err := stdPatchDigest(src, release)
		require.NoError(t, err)
		s := &setup{cfg: Config{SourceDir: src, StateDir: "/state"}, release: release, stdDigest: d}
		return s.sysrootDir()
	}
	first := sysroot("1.96.0")
	assert.True(t, strings.HasPrefix(first, "/state/sysroot-1.96.0-"), first)
	assert.Equal(t, first, sysroot("1.96.0"), "same inputs, same sysroot")
	assert.NotEqual(t, first, sysroot("1.97.0"))

	require.NoError(t, os.WriteFile(patch, []byte("two"), 0o644))
	assert.NotEqual(t, first, sysroot("1.96.0"), "a changed std patch is a new sysroot")
	s := &setup{cfg: Config{SourceDir: src, StateDir: "/state"}, release: "1.96.0"}
	s.stdDigest, _ = stdPatchDigest(src, "1.96.0")
	assert.Contains(t, strings.Join(s.depsRustflags(), " "), "--sysroot "+sysroot("1.96.0"))
}

// The project's std patches apply to the installed std source (the
// compiler's own, rust-web-src): a compiler upgrade that moves the code
// they patch fails here, not halfway through set-up.
func TestStdPatchesApplyToTheInstalledStd(t *testing.T) {
	if _, err := os.Stat(stdLibrary); err != nil {
		t.Skipf("no std source at %s (rust-web-src): %v", stdLibrary, err)
	}
	src, err := filepath.Abs("..") // the checkout
	require.NoError(t, err)
	patches, err := stdPatches(src)
	require.NoError(t, err)
	require.NotEmpty(t, patches)
	for _, p := range patches {
		out, err := exec.Command("patch", "-p1", "--dry-run", "-s", "-f", "-d", stdLibrary, "-i", p).CombinedOutput()
		assert.NoError(t, err, "%s: %s", filepath.Base(p), out)
	}
}

func TestCheckStdSourceRefusesUnpatchedStd(t *testing.T) {
	s := &setup{cfg: Config{StateDir: "/state"}, release: "1.96.0", stdDigest: "abc"}
	report := func(src string) []byte {
		return []byte(`{"reason":"compiler-artifact","target":{"name":"core","src_path":"/x/core/src/lib.rs"}}` + "\n" +
			`{"reason":"compiler-artifact","target":{"name":"std","src_path":"` + src + `"}}` + "\n")
	}
	assert.NoError(t, s.checkStdSource(report(filepath.Join(s.stdCopy(), "std", "src", "lib.rs"))))
	err := s.checkStdSource(report(stdLibrary + "/std/src/lib.rs"))
	assert.ErrorContains(t, err, "not from the patched copy")
	assert.Error(t, s.checkStdSource(nil), "no std built at all")
}

func TestBuiltRlibsTakesOnlyThisBuildsFromTheDepsDir(t *testing.T) {
	out := []byte(`{"reason":"compiler-artifact","filenames":["/t/wasm32-wasip1/release/deps/libstd-2.rlib","/t/wasm32-wasip1/release/deps/libstd-2.rmeta"]}
{"reason":"compiler-artifact","filenames":["/t/release/build/x/build_script_build-1"]}
{"reason":"compiler-artifact","filenames":["/t/wasm32-wasip1/release/deps/libcore-2.rlib"]}
{"reason":"build-finished","success":true}
`)
	assert.Equal(t, []string{"/t/wasm32-wasip1/release/deps/libcore-2.rlib", "/t/wasm32-wasip1/release/deps/libstd-2.rlib"},
		builtRlibs(out, "/t/wasm32-wasip1/release/deps"))
}
