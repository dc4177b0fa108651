package toolchain

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The service's packages are the list above its tests part: set-up (and
// so `make run`) never asks for what only the tests start.
func TestPackagesStopAtTheTestsPart(t *testing.T) {
	pkgs := Packages()
	assert.Contains(t, pkgs, "rustc-web")
	assert.Contains(t, pkgs, "rust-web-clippy")
	assert.NotContains(t, pkgs, "redis-server")
	assert.NotContains(t, pkgs, "chromium")
}
