package cargoref

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/rocket-sandbox/rocket-sandbox/internal/digest"
)

// CrateRun is what `cargo test --doc` made of a crate's own doctests.
type CrateRun struct {
	// Tests are libtest's doctests in the order it reported them.
	Tests []Test `json:"tests"`
	// Summary is libtest's last "test result:" line.
	Summary string `json:"summary"`
	// Cached says the run was answered from the cache.
	Cached bool `json:"-"`
}

// CrateDoctests runs `cargo test --doc --features features` on a copy of
// the crate at src (a crates.io source, e.g. rocket-0.5.1 from the
// reference's registry) with the profile's lock file, so its
// dependencies and dev-dependencies are the profile's versions where the
// profile has them. The copy lives in Dir/crates; the run is cached by the
// source's digest, the lock, the features and the tools.
func (c Config) CrateDoctests(ctx context.Context, src string, features []string) (CrateRun, error) {
	c, err := c.withDefaults()
	if err != nil {
		return CrateRun{}, err
	}
	unlock, err := c.lock(filepath.Base(src))
	if err != nil {
		return CrateRun{}, err
	}
	defer unlock()
	files, err := readTree(src)
	if err != nil {
		return CrateRun{}, err
	}
	manifest, ok := files["Cargo.toml"]
	if !ok {
		return CrateRun{}, fmt.Errorf("cargoref: %s has no Cargo.toml", src)
	}
	delete(files, "Cargo.toml")
	delete(files, "Cargo.lock")
	lock, err := c.profileLock()
	if err != nil {
		return CrateRun{}, err
	}
	tools, err := c.toolsVersion(ctx)
	if err != nil {
		return CrateRun{}, err
	}
	parts := [][]byte{[]byte("cargoref crate v1"), manifest, lock, []byte(strings.Join(features, ",")), []byte(tools)}
	for _, name := range sortedKeys(files) {
		parts = append(parts, []byte(name), files[name])
	}
	key := digest.Parts(parts...)
	store := cache{dir: filepath.Join(c.Dir, "crate-runs")}
	var run CrateRun
	if store.get(key, &run) {
		run.Cached = true
		return run, nil
	}

	dir := filepath.Join(c.Dir, "crates", filepath.Base(src))
	fetch, stamp, err := writeCrate(dir, manifest, lock, files)
	if err != nil {
		return CrateRun{}, err
	}
	flags, err := c.prepare(ctx, dir, fetch, stamp)
	if err != nil {
		return CrateRun{}, err
	}
	args := append([]string{"test", "--doc"}, flags...)
	if len(features) > 0 {
		args = append(args, "--features", strings.Join(features, ","))
	}
	stdout, stderr, err := c.cargo(ctx, dir, "cargo test --doc ("+filepath.Base(src)+")", args...)
	i := bytes.LastIndex(stdout, []byte("\ntest result: "))
	if i < 0 {
		if err == nil {
			err = fmt.Errorf("cargo test --doc printed no test result:\n%s", tail(string(stderr), 4000))
		}
		return CrateRun{}, err
	}
	summary, _, _ := strings.Cut(string(stdout[i+1:]), "\n")
	run = CrateRun{Tests: parseTests(stdout), Summary: summary}
	sort.SliceStable(run.Tests, func(a, b int) bool {
		if run.Tests[a].File != run.Tests[b].File {
			return run.Tests[a].File < run.Tests[b].File
		}
		return run.Tests[a].Line < run.Tests[b].Line
	})
	return run, store.put(key, run)
}

// readTree reads the regular files under dir by relative path.
func readTree(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = b
		return nil
	})
	return files, err
}
