package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The committed client files are what the contract generates now: a
// change to the contract (a route, a field, a harness's args) that was
// not regenerated fails here. Fix: go generate ./client
func TestGeneratedFilesAreCurrent(t *testing.T) {
	files, err := generate()
	require.NoError(t, err)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", name))
		require.NoError(t, err, "run go generate ./client")
		assert.Equal(t, string(want), string(got), "client/%s is stale: run go generate ./client", name)
	}
}
