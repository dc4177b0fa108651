package toolchain

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostPathsComeFromListedPackages is the guard against a hand-installed
// package hiding a missing install step: every host path the prepared
// toolchain, the compile command line and the jail's read-only mounts use
// (and every shared library their binaries load) must be provided by a
// package in toolchain/debian-packages.txt or by their Depends — never by
// a Recommends, which set-up does not install. It needs `make setup`.
func TestHostPathsComeFromListedPackages(t *testing.T) {
	m, err := Load(DefaultStateDir())
	require.NoError(t, err, "run `make setup` first")
	paths := m.HostPaths(DefaultStateDir())
	require.Contains(t, paths, Linker)
	require.Contains(t, paths, m.Rustc)
	problems, err := CheckHostPaths(context.Background(), paths, Packages())
	require.NoError(t, err)
	for _, p := range problems {
		t.Errorf("%s", p)
	}
	t.Logf("%d host paths checked", len(paths))
}

func TestHostPathsIncludeTheLinkersLibrariesAndTheJailBinds(t *testing.T) {
	m := &Manifest{Rustc: "/usr/bin/rustc", Sysroot: "/state/sysroot", TargetDeps: "/state/t", HostDeps: "/state/h"}
	paths := m.HostPaths("/state")
	for _, p := range []string{Linker, "/usr/lib/llvm-22", WasiLibDir + "/crt1-command.o", "/usr/bin/cargo", wasmCC} {
		assert.Contains(t, paths, p)
	}
	for _, p := range paths {
		assert.False(t, strings.HasPrefix(p, "/state"), "state paths are the project's own: %s", p)
	}
}

func TestClosureFollowsDependsNotRecommends(t *testing.T) {
	// package, status, pre-depends, depends, provides
	db := parseDpkgStatus(strings.Join([]string{
		"rustc-web\tii \t\tlibc6 (>= 2.34), libstd-rust-web-dev (= 1.96), gcc | clang\t",
		"libstd-rust-web-dev\tii \t\tlibc6\t",
		"libc6\tii \tlibgcc-s1\t\t",
		"libgcc-s1\tii \t\t\t",
		"gcc\tii \t\tcpp:any\t",
		"cpp\tii \t\t\t",
		"rust-web-llvm\tii \t\tllvm-22\t", // recommended by rustc-web: not in its closure
		"llvm-22\tii \t\t\t",
		"mawk\tii \t\t\tawk",
		"needs-awk\tii \t\tawk\t",
		"removed\trc \t\t\t",
	}, "\n"))
	set := db.closure([]string{"rustc-web", "needs-awk"})
	for _, p := range []string{"rustc-web", "libstd-rust-web-dev", "libc6", "libgcc-s1", "gcc", "cpp", "mawk"} {
		assert.True(t, set[p], p)
	}
	for _, p := range []string{"rust-web-llvm", "llvm-22", "removed", "clang"} {
		assert.False(t, set[p], p)
	}
}

func TestParseRelations(t *testing.T) {
	assert.Equal(t, [][]string{{"a"}, {"b", "c"}, {"d"}}, parseRelations("a (>= 1), b | c:any, d [amd64]"))
	assert.Empty(t, parseRelations(""))
}

func TestMergedUsrAliases(t *testing.T) {
	assert.Equal(t, []string{"/lib/x86_64-linux-gnu/libc.so.6"}, aliases("/usr/lib/x86_64-linux-gnu/libc.so.6"))
	assert.Equal(t, []string{"/usr/lib64"}, aliases("/lib64"))
	assert.Equal(t, []string{"/bin/patch"}, aliases("/usr/bin/patch"))
	assert.Empty(t, aliases("/usr/src/x"))
}
