package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/cargoref"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/parity"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// guideDir is the guide corpus next to the project root (../shared).
var guideDir = filepath.Join("..", "..", "shared", "rocket-guide")

// apiClient is the sandbox side of the parity table: the service under
// test, reached only through its HTTP API.
type apiClient struct{}

func (apiClient) Execute(ctx context.Context, req sandbox.Request) (sandbox.Response, error) {
	body, err := json.Marshal(map[string]any{"harness": req.Harness, "stub": req.Stub, "args": req.Args})
	if err != nil {
		return sandbox.Response{}, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/execute", bytes.NewReader(body))
	if err != nil {
		return sandbox.Response{}, err
	}
	hr.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		return sandbox.Response{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return sandbox.Response{}, err
	}
	if res.StatusCode != http.StatusOK {
		return sandbox.Response{}, fmt.Errorf("HTTP %d: %s", res.StatusCode, raw)
	}
	var r sandbox.Response
	return r, json.Unmarshal(raw, &r)
}

// TestGuideParity runs every code block of the guide through the example
// harness in the sandbox (over HTTP) and through the reference of record,
// real `cargo test --doc` on the generated crate (internal/cargoref), as
// `make parity` tabulates, and requires the same outcome for each. cargo's
// verdicts are cached by input digest in the state dir, so only the first
// run after a change to the profile or the toolchain pays for them.
func TestGuideParity(t *testing.T) {
	_, err := os.Stat(guideDir)
	require.NoError(t, err, "the guide corpus belongs next to the project root, in ../shared/rocket-guide")
	blocks, err := parity.Extract(guideDir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(blocks), 104, "the four chapters hold at least 104 rust blocks")

	src, err := filepath.Abs("..")
	require.NoError(t, err)
	cached := 0
	reference := parity.Cargo{Config: cargoref.Config{SourceDir: src, Dir: cargoref.Dir(config.Default().StateDir), Log: os.Stderr}, Cached: &cached}
	rows := parity.Run(context.Background(), blocks, apiClient{}, reference, nil)
	t.Logf("%d of %d cargo verdicts from the reference's cache", cached, len(blocks))
	for _, r := range rows {
		assert.Equal(t, r.Native.Outcome, r.Sandbox.Outcome, "%s:%d (%s): sandbox %q, native %q", r.File, r.Line, r.Attrs, r.Sandbox.Reason, r.Native.Reason)
		assert.Contains(t, []string{"passed", "failed", "ignored"}, r.Sandbox.Outcome, "%s:%d: %s", r.File, r.Line, r.Sandbox.Reason)
	}
}
