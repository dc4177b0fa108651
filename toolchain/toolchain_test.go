package toolchain

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/digest"
)

func TestCrateOfPatchNames(t *testing.T) {
	for file, want := range map[string][2]string{
		"wasi-shims/patches/rocket-0.5.1.patch":      {"rocket", "0.5.1"},
		"wasi-shims/patches/rocket_http-0.5.1.patch": {"rocket_http", "0.5.1"},
		"x/sandbox-vsock-0.1.0.patch":                {"sandbox-vsock", "0.1.0"},
	} {
		name, version, ok := crateOf(file)
		assert.True(t, ok, file)
		assert.Equal(t, want, [2]string{name, version}, file)
	}
	_, _, ok := crateOf("nodash.patch")
	assert.False(t, ok)
}

func TestReadOnlyPathsIncludeLinkObjectsOutsideTheListedDirs(t *testing.T) {
	m := &Manifest{Rustc: "/usr/bin/rustc", Sysroot: "/state/sysroot", TargetDeps: "/state/t", HostDeps: "/state/h",
		LinkArgs: []string{"-C", "link-arg=/usr/lib/wasm32-wasi/crt1-command.o", "-C", "link-arg=/state/link/stubs.o"}}
	paths := m.ReadOnlyPaths()
	assert.Contains(t, paths, "/state/link/stubs.o", "a link object outside the listed dirs is bound")
	assert.NotContains(t, paths, "/usr/lib/wasm32-wasi/crt1-command.o", "one inside a listed dir is not repeated")
	assert.Contains(t, paths, "/state/t")
}

func TestDigestSeparatesParts(t *testing.T) {
	assert.NotEqual(t, digest.Parts([]byte("ab"), []byte("c")), digest.Parts([]byte("a"), []byte("bc")))
}

func TestDepsRustflagsLinkWithoutAnEntryPoint(t *testing.T) {
	s := &setup{cfg: Config{StateDir: "/state"}, release: "1.96.0"}
	s.manifest.LinkArgs = []string{"-C", "linker=/usr/bin/rust-lld", "-C", "link-arg=/usr/lib/wasm32-wasi/crt1-command.o",
		"-C", "link-arg=/state/link/stubs.o"}
	flags := strings.Join(s.depsRustflags(), " ")
	assert.NotContains(t, flags, "crt1-command.o", "cdylibs in the profile have no main")
	assert.Contains(t, flags, "-C link-arg=/state/link/stubs.o")
	assert.Contains(t, flags, "-C linker=/usr/bin/rust-lld")
	assert.Contains(t, flags, "--cfg tokio_unstable")
	assert.Contains(t, flags, "-Z share-generics=yes")
	assert.Equal(t, []string{"-C", "link-arg=/usr/lib/wasm32-wasi/crt1-command.o"}, s.manifest.LinkArgs[2:4],
		"the manifest's own link flags keep the entry point")
}

func TestWasmCEnvNamesTheGuestTarget(t *testing.T) {
	env := strings.Join(wasmCEnv("/src"), "\n")
	assert.Contains(t, env, "CC_wasm32_wasip1=/usr/bin/clang-22")
	assert.Contains(t, env, "AR_wasm32_wasip1=/usr/bin/llvm-ar-22")
	assert.Contains(t, env, "CFLAGS_wasm32_wasip1=-nostdlibinc -isystem /usr/include/wasm32-wasi -include /src/wasi-shims/sqlite-wasi.h")
	assert.NotContains(t, env, "LIBSQLITE3_FLAGS", "it would reach the host's SQLite (the sqlx macros) too")
}

// A crate whose patch did not change is left as it is (cargo would
// rebuild everything above it for new file times); a crate no patch names
// any more goes. No crate needs fetching here, so
// cargo is never run.
func TestPatchCratesKeepsCratesWhosePatchDidNotChange(t *testing.T) {
	src := t.TempDir()
	patches := filepath.Join(src, "wasi-shims", "patches")
	require.NoError(t, os.MkdirAll(patches, 0o755))
	patch := "--- a/lib.rs\n+++ b/lib.rs\n@@ -1 +1 @@\n-old\n+new\n"
	for _, c := range []string{"kept-1.0.0"} {
		require.NoError(t, os.WriteFile(filepath.Join(patches, c+".patch"), []byte(patch), 0o644))
	}
	s := &setup{cfg: Config{SourceDir: src, StateDir: t.TempDir(), Cargo: "/nonexistent/cargo"}}
	kept := filepath.Join(s.patchedDir(), "kept-1.0.0")
	old := filepath.Join(s.patchedDir(), "kept-0.9.0")
	for _, d := range []string{kept, old} {
		require.NoError(t, os.MkdirAll(d, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(d, "lib.rs"), []byte("new\n"), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(kept, patchStamp), []byte(digest.Parts([]byte(patch))), 0o644))
	before, err := os.Stat(filepath.Join(kept, "lib.rs"))
	require.NoError(t, err)

	require.NoError(t, s.patchCrates(context.Background()))
	after, err := os.Stat(filepath.Join(kept, "lib.rs"))
	require.NoError(t, err)
	assert.Equal(t, before.ModTime(), after.ModTime(), "not copied again")
	assert.NoDirExists(t, old)
	assert.Equal(t, "applied 0 of 1 patches", s.note)
}

// A crate without a stamp is made again, even where the patch reverses
// cleanly: a patch that lost a hunk reverses cleanly on a crate made with
// the larger one (set-up once kept Rocket's old temp_dir hunk that way).
func TestAnUnstampedCrateIsMadeAgain(t *testing.T) {
	s := &setup{cfg: Config{SourceDir: t.TempDir()}}
	dir := filepath.Join(s.patchedDir(), "rocket-0.5.1")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	patch := []byte("--- a/lib.rs\n+++ b/lib.rs\n@@ -1 +1 @@\n-old\n+new\n")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lib.rs"), []byte("new\n"), 0o644))
	assert.False(t, s.patchedWith(dir, digest.Parts(patch)), "unstamped")
	require.NoError(t, os.WriteFile(filepath.Join(dir, patchStamp), []byte(digest.Parts(patch)), 0o644))
	assert.True(t, s.patchedWith(dir, digest.Parts(patch)), "stamped with this patch")
	assert.False(t, s.patchedWith(dir, digest.Parts([]byte("another patch"))), "stamped with another")
}
