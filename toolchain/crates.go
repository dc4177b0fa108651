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

func (s *setup) patchCrates(ctx context.Context) error {
	patches, err := filepath.Glob(filepath.Join(s.cfg.SourceDir, "wasi-shims", "patches", "*.patch"))
	if err != nil || len(patches) == 0 {
		return fmt.Errorf("no patches in wasi-shims/patches")
	}
	var parts [][]byte
	for _, p := range patches {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		parts = append(parts, []byte(filepath.Base(p)), b)
	}
	want := digest(parts...)
	stamp := filepath.Join(s.patchedDir(), ".stamp")
	if b, err := os.ReadFile(stamp); err == nil && string(b) == want {
		s.note = "up to date"
		return nil
	}

	// Fetch the pristine crates.io sources through a throwaway project
	// that depends on exactly the patched versions.
	fetch := filepath.Join(s.cfg.StateDir, "build", "fetch")
	if err := os.MkdirAll(filepath.Join(fetch, "src"), 0o755); err != nil {
		return err
	}
	var manifest bytes.Buffer
	manifest.WriteString("[package]\nname = \"fetch-pristine\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\n")
	for _, p := range patches {
		name, version, ok := crateOf(p)
		if !ok {
			return fmt.Errorf("patch %s is not named <crate>-<version>.patch", p)
		}
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

	if err := os.RemoveAll(s.patchedDir()); err != nil {
		return err
	}
	for _, p := range patches {
		name, version, _ := crateOf(p)
		src, ok := sources[name+"-"+version]
		if !ok {
			return fmt.Errorf("crates.io source of %s %s not found", name, version)
		}
		dst := filepath.Join(s.patchedDir(), name+"-"+version)
		if err := copyTree(src, dst); err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		if _, err := s.run(ctx, dst, s.env(), "patch", "-p1", "-s", "--no-backup-if-mismatch", "-i", p); err != nil {
			return fmt.Errorf("apply %s: %w", filepath.Base(p), err)
		}
	}
	s.note = fmt.Sprintf("applied %d patches", len(patches))
	return os.WriteFile(stamp, []byte(want), 0o644)
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
// tokio refuses fs, net, signal and multi-thread features on wasm unless
// built with tokio_unstable; with it they compile and the patched Rocket
// never uses what WASI cannot do.
func (s *setup) depsRustflags() []string {
	return append([]string{"--sysroot", s.sysrootDir(), "--cfg", "tokio_unstable"}, s.manifest.LinkArgs...)
}

func (s *setup) buildDeps(ctx context.Context) error {
	ws := filepath.Join(s.cfg.SourceDir, "harnesses")
	target := filepath.Join(s.cfg.StateDir, "target")
	env := s.env("CARGO_TARGET_DIR="+target, "RUSTFLAGS="+strings.Join(s.depsRustflags(), " "))
	out, err := s.run(ctx, ws, env, s.cfg.Cargo, "build", "--release", "--locked", "--target", Target,
		"-p", "sandbox-deps", "--message-format=json-render-diagnostics")
	if err != nil {
		return err
	}
	rlibs := map[string]string{} // package id -> guest rlib
	fresh, built := 0, 0
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
			if strings.HasSuffix(f, ".rlib") && strings.Contains(f, string(filepath.Separator)+Target+string(filepath.Separator)) {
				rlibs[msg.PackageID] = f
			}
		}
	}

	meta, err := s.run(ctx, ws, env, s.cfg.Cargo, "metadata", "--format-version", "1", "--locked", "--filter-platform", Target)
	if err != nil {
		return err
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
		return fmt.Errorf("cargo metadata: %w", err)
	}
	var profileID string
	for _, p := range m.Packages {
		if p.Name == "sandbox-deps" {
			profileID = p.ID
		}
	}
	externs := map[string]string{}
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
		return fmt.Errorf("the dependency build produced no rlib for rocket")
	}
	s.manifest.Externs = externs
	s.manifest.TargetDeps = filepath.Join(target, Target, "release", "deps")
	s.manifest.HostDeps = filepath.Join(target, "release", "deps")

	var parts [][]byte
	for _, f := range []string{"Cargo.toml", "Cargo.lock", "deps/Cargo.toml"} {
		b, err := os.ReadFile(filepath.Join(ws, f))
		if err != nil {
			return err
		}
		parts = append(parts, b)
	}
	shims, err := treeDigest(filepath.Join(s.cfg.SourceDir, "wasi-shims"), nil)
	if err != nil {
		return err
	}
	parts = append(parts, []byte(s.manifest.RustcVersion), []byte(shims), []byte(strings.Join(s.depsRustflags(), " ")))
	s.manifest.Digest = digest(parts...)
	s.note = fmt.Sprintf("%d crates built, %d fresh, %d externs", built, fresh, len(externs))
	return nil
}
