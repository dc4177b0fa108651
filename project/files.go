package project

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits bound a project's file set; they are checked before anything
// compiles.
type Limits struct {
	// MaxFiles caps how many files a project has.
	MaxFiles int
	// MaxBytes caps the files' contents together.
	MaxBytes int64
}

// Path rules beyond the limits: a path's length and depth.
const (
	MaxPathBytes = 255
	MaxPathDepth = 16
)

// ManifestPath is the optional Cargo.toml, at the root.
const ManifestPath = "Cargo.toml"

// FileError is a file set's mistake, naming the file (Path is "" for
// the set as a whole). TooLarge marks a limit.
type FileError struct {
	Path     string
	Message  string
	TooLarge bool
}

func (e *FileError) Error() string {
	if e.Path == "" {
		return "files: " + e.Message
	}
	return fmt.Sprintf("files[%q]: %s", e.Path, e.Message)
}

func fileErr(path, format string, args ...any) *FileError {
	return &FileError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// Check checks a project's file set (path → content) against lim and the
// path rules, in a fixed order (so the same set always gets the same
// error): the count and the total bytes, then each path in sorted order.
// Contents are bytes, any bytes (images, fonts, a SQLite database), and
// are not looked at beyond their size, except the few the service itself
// reads as text (textPaths), which must be UTF-8. A Rust module or an
// include_str!'d file that is not UTF-8 is rustc's to refuse, at the
// user's risk, as cargo's would be. withStub says a stub is the crate
// root, so the files must not have one; without it they must have
// exactly one.
func Check(files map[string][]byte, lim Limits, withStub bool) error {
	if len(files) > lim.MaxFiles {
		return &FileError{Message: fmt.Sprintf("the project has %d files; the limit is %d", len(files), lim.MaxFiles), TooLarge: true}
	}
	var total int64
	for _, content := range files {
		total += int64(len(content))
	}
	if total > lim.MaxBytes {
		return &FileError{Message: fmt.Sprintf("the project's files are %d bytes together; the limit is %d", total, lim.MaxBytes), TooLarge: true}
	}
	paths := SortedPaths(files)
	for _, p := range paths {
		if err := checkPath(p); err != nil {
			return err
		}
		if k := textPaths[p]; k != notText && !utf8.Valid(files[p]) {
			return fileErr(p, "%s", k.why())
		}
	}
	// A path that is also a directory of another ("src" and
	// "src/main.rs"): sorted, a directory's files follow it directly
	// after any names that sort between ("src-x", "src.rs").
	for i, p := range paths {
		for _, q := range paths[i+1:] {
			if !strings.HasPrefix(q, p) {
				break
			}
			if q[len(p)] == '/' {
				return fileErr(p, "is a file, and a directory of %q", q)
			}
		}
	}
	_, hasBin := files[BinRoot]
	_, hasLib := files[LibRoot]
	switch {
	case withStub && (hasBin || hasLib):
		root := BinRoot
		if !hasBin {
			root = LibRoot
		}
		return fileErr(root, "the stub is the crate root (%s) when a request has one; send the root once, as the stub or as this file", BinRoot)
	case hasBin && hasLib:
		return fileErr(LibRoot, "a package with both %s and %s is two crates; the sandbox compiles one: send one of them", BinRoot, LibRoot)
	case !withStub && !hasBin && !hasLib:
		return &FileError{Message: fmt.Sprintf("a project needs a crate root: %s or %s (or a stub, which is %s)", BinRoot, LibRoot, BinRoot)}
	}
	return nil
}

// checkPath applies the path rules: a relative path of clean, ordinary
// components, below the root, not in the output directory.
func checkPath(p string) error {
	switch {
	case p == "":
		return fileErr(p, "a file needs a path")
	case len(p) > MaxPathBytes:
		return &FileError{Path: p, Message: fmt.Sprintf("the path is %d bytes; the limit is %d", len(p), MaxPathBytes), TooLarge: true}
	case strings.HasPrefix(p, "/"):
		return fileErr(p, "paths are relative to the project's root; this one is absolute")
	case strings.HasSuffix(p, "/"):
		return fileErr(p, "names a directory; only files are sent (a directory exists when a file is in it)")
	}
	for _, r := range p {
		if r == '\\' || r == 0 || unicode.IsControl(r) {
			return fileErr(p, "paths use '/' between names and hold no backslash or control character")
		}
	}
	parts := strings.Split(p, "/")
	if len(parts) > MaxPathDepth {
		return &FileError{Path: p, Message: fmt.Sprintf("the path is %d names deep; the limit is %d", len(parts), MaxPathDepth), TooLarge: true}
	}
	for _, part := range parts {
		switch part {
		case "":
			return fileErr(p, "the path has an empty name (a doubled '/')")
		case ".", "..":
			return fileErr(p, "the path has a %q name; paths stay below the project's root, written without . or ..", part)
		}
	}
	switch {
	case parts[0] == OutputDir:
		return fileErr(p, "%s/ holds the compile's output, as for cargo; it is not the project's", OutputDir)
	case parts[0] == ".cargo":
		return fileErr(p, "cargo's configuration is not used: the prepared profile decides how the crate is built")
	case p == "build.rs":
		return fileErr(p, "build scripts are not run; the prepared profile has what the crate may use")
	}
	return nil
}

// textKind says why the service reads a file as text.
type textKind int

const (
	notText textKind = iota
	crateRoot
	manifest
)

func (k textKind) why() string {
	if k == manifest {
		return "content must be UTF-8 text: Cargo.toml is read as TOML (bytes are for the project's other files)"
	}
	return "content must be UTF-8 text: the crate root is the Rust source the harness reads (bytes are for the project's other files)"
}

// textPaths are the files the service reads as text before anything
// compiles (the crate roots, which a harness plans from, and the
// manifest, which is checked against the profile): the only files whose
// content must be UTF-8.
var textPaths = map[string]textKind{BinRoot: crateRoot, LibRoot: crateRoot, ManifestPath: manifest}

// SortedPaths returns the paths of files in byte order: the canonical
// order of a file set (its memo key, its seed, its layout).
func SortedPaths[V any](files map[string]V) []string { return sortedKeys(files) }

// sortedKeys returns m's keys in byte order.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
