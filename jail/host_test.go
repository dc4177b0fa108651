package jail

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

func TestHostRunsWithFilesEnvAndExitCode(t *testing.T) {
	t.Setenv("JAIL_TEST_SECRET", "server-secret")
	h := &Host{TempDir: t.TempDir()}
	res := run(t, h, Command{
		Path:    "/bin/sh",
		Args:    []string{"-c", "cat in.txt; env; tr a-z A-Z < in.txt > out.txt; ln -s /etc/passwd link; exit 4"},
		Env:     []string{"A=1"},
		Files:   map[string][]byte{"in.txt": []byte("hi\n")},
		Collect: []string{"out.txt", "link", "missing"},
	})
	assert.Equal(t, 4, res.ExitCode)
	assert.NotContains(t, string(res.Stdout), "server-secret")
	assert.Contains(t, string(res.Stdout), "hi\nA=1\n")
	assert.Equal(t, map[string][]byte{"out.txt": []byte("HI\n")}, res.Files)
	assert.Positive(t, res.Usage.Wall)
	assert.Positive(t, res.Usage.PeakMemoryBytes)

	res = run(t, h, Command{Path: "/usr/bin/env", Env: []string{"B=2"}})
	assert.Equal(t, "B=2\n", string(res.Stdout))

	entries, err := os.ReadDir(h.TempDir)
	require.NoError(t, err)
	assert.Empty(t, entries, "work directories are removed")
}

func TestHostLimits(t *testing.T) {
	h := &Host{TempDir: t.TempDir()}
	token := fmt.Sprintf("host-token-%d", time.Now().UnixNano())
	res := run(t, h, Command{Path: helperBin, Args: []string{"spawn-and-spin", token}, Limits: Limits{WallTimeMS: 300}})
	assert.Equal(t, outcome.LimitTime, res.Limit)
	assert.True(t, res.Signaled)
	assert.Empty(t, processesWithToken(token), "the process group was killed")

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := h.Run(ctx, Command{Path: helperBin, Args: []string{"spawn-and-spin", token}})
	require.NoError(t, err)
	assert.Equal(t, outcome.LimitTime, res.Limit)

	res = run(t, h, Command{Path: helperBin, Args: []string{"flood"}, Limits: Limits{OutputBytes: 10000}})
	assert.Equal(t, outcome.LimitOutput, res.Limit)
	assert.True(t, res.StdoutTruncated)
	assert.Len(t, res.Stdout, 10000)
}

func BenchmarkJailTrue(b *testing.B) {
	j := newTestJail(b)
	for b.Loop() {
		run(b, j, Command{Path: "/bin/true"})
	}
}

func BenchmarkHostTrue(b *testing.B) {
	h := &Host{TempDir: b.TempDir()}
	for b.Loop() {
		run(b, h, Command{Path: "/bin/true"})
	}
}

// A collected tree is every regular file below the directory, at any
// depth, by its path; symlinks (to a file or a directory), FIFOs and
// what lies outside it are left out.
func TestCollectTreesReadsRegularFilesOnly(t *testing.T) {
	h := &Host{TempDir: t.TempDir()}
	res := run(t, h, Command{
		Path: "/bin/sh",
		Args: []string{"-c", "mkdir -p t/a/b t/empty && echo one > t/a/f && echo two > t/a/b/g && : > t/lock && " +
			"ln -s /etc/passwd t/link && ln -s /etc t/dirlink && mkfifo t/fifo && echo out > outside"},
		Env:          []string{"PATH=/usr/bin:/bin"},
		Collect:      []string{"outside"},
		CollectTrees: []string{"t", "missing"},
	})
	require.Equal(t, 0, res.ExitCode, "%s", res.Stderr)
	assert.Equal(t, map[string][]byte{"outside": []byte("out\n"), "t/a/f": []byte("one\n"), "t/a/b/g": []byte("two\n"), "t/lock": {}}, res.Files)
}
