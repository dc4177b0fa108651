package toolchain

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCountBuildUnitsSkipsBuildScriptRuns(t *testing.T) {
	graph := `{"version":1,"units":[{"mode":"build"},{"mode":"run-custom-build"},{"mode":"build"},{"mode":"build"}],"roots":[0]}`
	assert.Equal(t, 3, countBuildUnits([]byte(graph)))
	assert.Equal(t, 0, countBuildUnits([]byte("not json")))
}

// In a log (not a terminal) progress is a plain line about every interval:
// with the crate count, the crate being compiled and an estimate.
func TestProgressInALogPrintsALineEveryInterval(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(0, 0)
	p := newProgress(&out, "  wasm32-wasip1", 100)
	p.now = func() time.Time { return now }
	p.start, p.lastLine = now, now
	p.cargoStatus("  Downloaded serde v1.0.0")
	assert.Empty(t, out.String(), "nothing before the first interval")
	now = now.Add(11 * time.Second)
	p.cargoStatus("   Compiling tokio v1.54.1")
	for i := 0; i < 20; i++ {
		p.artifact(i >= 10) // 10 compiled, 10 fresh
	}
	lines := strings.Split(strings.Trim(out.String(), "\n"), "\n")
	assert.Len(t, lines, 1, "one line per interval, however many events")
	assert.Equal(t, "  wasm32-wasip1: 0/100 crates, compiling tokio, 11s elapsed", lines[0])
	now = now.Add(10 * time.Second)
	p.tick(false)
	lines = strings.Split(strings.Trim(out.String(), "\n"), "\n")
	assert.Equal(t, "  wasm32-wasip1: 20/100 crates, compiling tokio, 21s elapsed, about 2m48s left", lines[1])
}

func TestProgressDownloadingPhaseAndUnknownTotal(t *testing.T) {
	p := newProgress(&bytes.Buffer{}, "std", 0)
	now := time.Unix(0, 0)
	p.now = func() time.Time { return now }
	p.start = now
	p.cargoStatus("  Downloaded serde v1.0.0")
	assert.Equal(t, "std: 0 crates, downloading crates, 0s elapsed", p.line())
}

func TestProgressOnATerminalRewritesOneLine(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, "std", 2)
	p.tty = true
	p.cargoStatus("   Compiling core v0.0.0")
	p.artifact(false)
	p.finish()
	assert.Equal(t, 3, strings.Count(out.String(), "\r\033[K"), "each update and the finish clear the line")
	assert.NotContains(t, out.String(), "\n")
}
