package incremental

import "strings"

// prune keeps, for each crate in a directory tree, only rustc's newest
// finalized session and its lock file. rustc reads only the newest
// finalized session ("s-<time>-<random>-<svh>") and deletes the others
// at the start of its next compile; keeping them would store (and copy
// into the next compile) the directory about twice over. Anything that
// is not a session is kept as it is.
func prune(tree map[string][]byte) {
	newest := map[string]string{} // crate dir → the newest session's "s-<time>-<random>"
	for p := range tree {
		crate, name, ok := sessionOf(p)
		if !ok || !finalized(name) {
			continue
		}
		if id := sessionID(name); newer(id, newest[crate]) {
			newest[crate] = id
		}
	}
	for p := range tree {
		crate, name, ok := sessionOf(p)
		if !ok {
			continue
		}
		keep := newest[crate]
		if keep == "" {
			continue // no finalized session: leave the crate as it is
		}
		id := sessionID(strings.TrimSuffix(name, ".lock"))
		if id != keep {
			delete(tree, p)
		}
	}
}

// sessionOf splits WorkDir/<crate>/<name>[/...] when <name> is a session
// directory or lock file.
func sessionOf(p string) (crate, name string, ok bool) {
	rest, found := strings.CutPrefix(p, WorkDir+"/")
	if !found {
		return "", "", false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[1], "s-") {
		return "", "", false
	}
	if len(parts) == 2 && !strings.HasSuffix(parts[1], ".lock") {
		return "", "", false // a file named like a session is not one
	}
	return parts[0], parts[1], true
}

// finalized: "s-<time>-<random>-<svh>" (a session rustc finished), not
// "-working" nor a lock file.
func finalized(name string) bool {
	f := strings.Split(name, "-")
	return len(f) == 4 && f[3] != "working" && !strings.HasSuffix(name, ".lock")
}

// sessionID is "s-<time>-<random>" of a session directory's or lock
// file's name.
func sessionID(name string) string {
	f := strings.Split(name, "-")
	if len(f) < 3 {
		return name
	}
	return strings.Join(f[:3], "-")
}

// newer compares two session ids by their time (base 36, so a longer one
// is later), then by the rest.
func newer(a, b string) bool {
	if b == "" {
		return true
	}
	ta, tb := strings.Split(a, "-")[1], strings.Split(b, "-")[1]
	if len(ta) != len(tb) {
		return len(ta) > len(tb)
	}
	return a > b
}
