package toolchain

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Tools set-up runs besides the compiler; the compile and the jail need
// only what ReadOnlyPaths lists.
var setupTools = []string{"/usr/bin/cargo", "/usr/bin/rustdoc", wasmCC, wasmAR, "/usr/bin/patch", "/usr/bin/dpkg-query"}

// HostPaths lists every host path, outside the state dir, that set-up, a
// compile and the compile jail depend on: the jail's read-only binds
// (ReadOnlyPaths), the tools set-up runs, the wasm std source, and every
// shared library and ELF interpreter each of those binaries loads,
// resolved as the dynamic loader would. Each must come from a Debian
// package the project installs (CheckHostPaths).
func (m *Manifest) HostPaths(stateDir string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p == "" || seen[p] || under(p, []string{stateDir}) {
			return
		}
		seen[p] = true
		out = append(out, p)
	}
	var bins []string
	for _, p := range m.ReadOnlyPaths() {
		add(p)
	}
	add("/usr/lib/rustlib/src/rust/library")
	for _, p := range append([]string{m.Rustc, Linker}, setupTools...) {
		add(p)
		bins = append(bins, p)
	}
	for _, f := range []string{"crt1-command.o", "libc.a"} {
		add(filepath.Join(WasiLibDir, f))
	}
	for _, b := range bins {
		for _, lib := range elfClosure(b) {
			add(lib)
		}
	}
	sort.Strings(out)
	return out
}

// libDirs is the dynamic loader's default search path on x86_64 Debian.
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"}

// elfClosure returns the ELF interpreter and the shared libraries bin
// loads, transitively, by the paths the loader finds them at (RUNPATH with
// $ORIGIN first, then the default directories). Libraries that cannot be
// found are returned by name under the first default directory, so the
// owner check reports them as missing.
func elfClosure(bin string) []string {
	var out []string
	seen := map[string]bool{}
	var visit func(path string)
	visit = func(path string) {
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return
		}
		f, err := elf.Open(real)
		if err != nil {
			return
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				b := make([]byte, p.Filesz)
				if _, err := p.ReadAt(b, 0); err == nil {
					interp := strings.TrimRight(string(b), "\x00")
					if !seen[interp] {
						seen[interp] = true
						out = append(out, interp)
					}
				}
			}
		}
		libs, _ := f.ImportedLibraries()
		var runpath []string
		for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
			vals, _ := f.DynString(tag)
			for _, v := range vals {
				for _, d := range strings.Split(v, ":") {
					runpath = append(runpath, strings.ReplaceAll(d, "$ORIGIN", filepath.Dir(real)))
				}
			}
		}
		for _, lib := range libs {
			found := filepath.Join(libDirs[0], lib)
			for _, d := range append(runpath, libDirs...) {
				if _, err := os.Stat(filepath.Join(d, lib)); err == nil {
					found = filepath.Clean(filepath.Join(d, lib))
					break
				}
			}
			if !seen[found] {
				seen[found] = true
				out = append(out, found)
				visit(found)
			}
		}
	}
	visit(bin)
	return out
}

// HostPathProblem is a host path the project depends on that no package it
// installs provides.
type HostPathProblem struct {
	Path    string
	Owners  []string // the Debian packages that own it, if any
	Message string
}

func (p HostPathProblem) String() string { return p.Path + ": " + p.Message }

// CheckHostPaths asks dpkg who owns each of paths (and, for a symlink,
// each link on the way to its target, and the target) and reports every
// path whose owner is neither one of packages nor pulled in by their
// Depends or Pre-Depends, transitively. Recommends do not count: apt is
// run with --no-install-recommends, so a file from a recommended package
// is there on one machine and missing on the next.
func CheckHostPaths(ctx context.Context, paths, packages []string) ([]HostPathProblem, error) {
	db, err := readDpkgStatus(ctx)
	if err != nil {
		return nil, err
	}
	allowed := db.closure(append(db.essential(), packages...))
	var problems []HostPathProblem
	var check []string
	for _, p := range paths {
		chain, err := linkChain(p)
		if err != nil {
			problems = append(problems, HostPathProblem{Path: p, Message: fmt.Sprintf("missing: %v", err)})
			continue
		}
		for _, q := range chain {
			if !slices.Contains(check, q) {
				check = append(check, q)
			}
		}
	}
	owners, err := dpkgOwners(ctx, check)
	if err != nil {
		return nil, err
	}
	for _, q := range check {
		o := owners[q]
		switch {
		case len(o) == 0:
			problems = append(problems, HostPathProblem{Path: q, Message: "no Debian package owns it (made by hand?)"})
		case !anyIn(o, allowed):
			problems = append(problems, HostPathProblem{Path: q, Owners: o, Message: fmt.Sprintf(
				"provided by %s, which toolchain/debian-packages.txt neither lists nor pulls in through Depends",
				strings.Join(o, ", "))})
		}
	}
	return problems, nil
}

// linkChain resolves p component by component and returns every symlink
// met on the way (each is a file some package must provide) and the final
// real path.
func linkChain(p string) ([]string, error) {
	var chain []string
	parts := strings.Split(strings.TrimPrefix(filepath.Clean(p), "/"), "/")
	cur := "/"
	for hops := 0; len(parts) > 0; {
		next := filepath.Join(cur, parts[0])
		fi, err := os.Lstat(next)
		if err != nil {
			return nil, err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur, parts = next, parts[1:]
			continue
		}
		if hops++; hops > 40 {
			return nil, fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		chain = append(chain, next)
		t, err := os.Readlink(next)
		if err != nil {
			return nil, err
		}
		if filepath.IsAbs(t) {
			cur = "/"
		}
		rest := parts[1:]
		parts = append(strings.Split(strings.TrimPrefix(filepath.Clean(t), "/"), "/"), rest...)
	}
	return append(chain, cur), nil
}

// mergedUsr pairs the names one file has on a merged-/usr system: dpkg
// records a file as its package ships it, so a library reached as
// /usr/lib/... may be recorded as /lib/... (and the other way round).
var mergedUsr = [][2]string{{"/usr/lib/", "/lib/"}, {"/usr/bin/", "/bin/"}, {"/usr/lib64/", "/lib64/"}, {"/usr/sbin/", "/sbin/"}}

// dpkgOwners asks `dpkg-query -S` once for all paths (and their merged-/usr
// aliases) and returns each path's owning packages.
func dpkgOwners(ctx context.Context, paths []string) (map[string][]string, error) {
	alias := map[string][]string{} // name asked -> the paths it stands for
	var ask []string
	for _, p := range paths {
		for _, c := range append([]string{p}, aliases(p)...) {
			if _, ok := alias[c]; !ok {
				ask = append(ask, c)
			}
			alias[c] = append(alias[c], p)
		}
	}
	// Exit status 1 just means some name is owned by nobody.
	out, err := exec.CommandContext(ctx, "dpkg-query", append([]string{"-S"}, ask...)...).Output()
	if err != nil && len(out) == 0 {
		if _, ok := err.(*exec.ExitError); !ok {
			return nil, fmt.Errorf("dpkg-query -S: %w", err)
		}
	}
	owners := map[string][]string{}
	for _, line := range strings.Split(string(out), "\n") {
		// "pkg1, pkg2:amd64: /path"; diversions are reported on lines of
		// their own that name no owner.
		i := strings.LastIndex(line, ": ")
		if i < 0 || strings.HasPrefix(line, "diversion by") {
			continue
		}
		for _, p := range alias[line[i+2:]] {
			for _, o := range strings.Split(line[:i], ",") {
				if o = archless(strings.TrimSpace(o)); !slices.Contains(owners[p], o) {
					owners[p] = append(owners[p], o)
				}
			}
		}
	}
	return owners, nil
}

func aliases(path string) []string {
	var out []string
	for _, pair := range mergedUsr {
		for i, from := range pair {
			to := pair[1-i]
			if rest, ok := strings.CutPrefix(path+"/", from); ok {
				out = append(out, strings.TrimSuffix(to+rest, "/"))
			}
		}
	}
	return out
}

func archless(pkg string) string {
	if i := strings.IndexByte(pkg, ':'); i >= 0 {
		return pkg[:i]
	}
	return pkg
}

func anyIn(list []string, set map[string]bool) bool {
	for _, x := range list {
		if set[x] {
			return true
		}
	}
	return false
}

// dpkgDB is the part of dpkg's status database the closure needs.
type dpkgDB struct {
	installed map[string]bool
	// essentials are on every Debian system (dpkg, coreutils, ...).
	essentials []string
	depends    map[string][][]string // package -> AND of ORs of package names
	providers  map[string][]string   // virtual name -> installed packages providing it
}

func readDpkgStatus(ctx context.Context) (*dpkgDB, error) {
	out, err := exec.CommandContext(ctx, "dpkg-query", "-W",
		"-f=${Package}\t${db:Status-Abbrev}\t${Pre-Depends}\t${Depends}\t${Provides}\t${Essential}\n").Output()
	if err != nil {
		return nil, fmt.Errorf("dpkg-query: %w", err)
	}
	return parseDpkgStatus(string(out)), nil
}

// parseDpkgStatus reads dpkg-query lines of package, status,
// pre-depends, depends, provides and essential (tab-separated).
func parseDpkgStatus(text string) *dpkgDB {
	db := &dpkgDB{installed: map[string]bool{}, depends: map[string][][]string{}, providers: map[string][]string{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 5 || !strings.HasPrefix(strings.TrimSpace(f[1]), "ii") {
			continue
		}
		pkg := f[0]
		db.installed[pkg] = true
		if len(f) > 5 && f[5] == "yes" {
			db.essentials = append(db.essentials, pkg)
		}
		db.depends[pkg] = append(parseRelations(f[2]), parseRelations(f[3])...)
		for _, alts := range parseRelations(f[4]) {
			for _, v := range alts {
				db.providers[v] = append(db.providers[v], pkg)
			}
		}
	}
	return db
}

// parseRelations reads "a (>= 1), b | c:any, d" into [[a] [b c] [d]].
func parseRelations(field string) [][]string {
	var out [][]string
	for _, and := range strings.Split(field, ",") {
		var alts []string
		for _, or := range strings.Split(and, "|") {
			name := strings.TrimSpace(or)
			if i := strings.IndexAny(name, " ("); i >= 0 {
				name = name[:i]
			}
			if name = archless(name); name != "" {
				alts = append(alts, name)
			}
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}

func (db *dpkgDB) essential() []string { return db.essentials }

// closure is the set of installed packages that roots pull in through
// Depends and Pre-Depends (every installed alternative of an "a | b", and
// the installed providers of a virtual package).
func (db *dpkgDB) closure(roots []string) map[string]bool {
	set := map[string]bool{}
	queue := append([]string{}, roots...)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if set[p] {
			continue
		}
		set[p] = true
		for _, alts := range db.depends[p] {
			for _, a := range alts {
				if db.installed[a] {
					queue = append(queue, a)
				}
				queue = append(queue, db.providers[a]...)
			}
		}
	}
	return set
}
