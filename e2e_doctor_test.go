package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeRefusesToStartWhenAPreconditionFails: serve runs doctor's checks
// first and exits with what to fix (here: no prepared toolchain in an
// empty state dir) instead of starting and failing on the first request.
func TestServeRefusesToStartWhenAPreconditionFails(t *testing.T) {
	t.Setenv("ROCKET_SANDBOX_STATE_DIR", t.TempDir())
	t.Setenv("ROCKET_SANDBOX_LISTEN", "127.0.0.1:0")
	err := cmdServe(context.Background(), nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "precondition(s) failed")
	assert.Contains(t, err.Error(), "prepared toolchain and its host files: no prepared toolchain in")
	assert.Contains(t, err.Error(), "fix: run `make setup`")
}
