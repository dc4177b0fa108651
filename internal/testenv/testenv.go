// Package testenv owns the one rule for tests that need a privilege the
// machine may lack: where it is missing they are skipped on a developer's
// machine, and fail in CI (CI is set there and runs as root), so a core
// test can never pass by not running.
package testenv

import (
	"os"
	"testing"
)

// RequireRoot skips t when not running as root — or fails it in CI —
// saying what needs root.
func RequireRoot(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s needs root, and CI must run it", what)
	}
	t.Skipf("%s needs root", what)
}
