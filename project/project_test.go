package project

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEnvIsCargosAtTheVirtualRoot(t *testing.T) {
	env := Package{Name: "my-app", Version: "1.2.3-beta.1+build"}.Env(true)
	for _, want := range []string{
		"CARGO_MANIFEST_DIR=/work", "CARGO_MANIFEST_PATH=/work/Cargo.toml",
		"CARGO_PKG_NAME=my-app", "CARGO_PKG_VERSION=1.2.3-beta.1+build",
		"CARGO_PKG_VERSION_MAJOR=1", "CARGO_PKG_VERSION_MINOR=2", "CARGO_PKG_VERSION_PATCH=3",
		"CARGO_PKG_VERSION_PRE=beta.1", "CARGO_CRATE_NAME=my_app", "CARGO_BIN_NAME=my-app",
	} {
		assert.Contains(t, env, want)
	}
	lib := Package{}.Env(false)
	assert.Contains(t, lib, "CARGO_PKG_NAME=main", "the defaults")
	assert.Contains(t, lib, "CARGO_PKG_VERSION=0.1.0")
	for _, kv := range lib {
		assert.NotContains(t, kv, "CARGO_BIN_NAME", "a library has no binary name")
	}
}
