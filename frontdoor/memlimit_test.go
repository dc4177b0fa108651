package frontdoor

import (
	"io"
	"log/slog"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
)

// go_memory_limit_mb becomes the Go runtime's memory limit, unless
// GOMEMLIMIT is set (the runtime applied that one) or the key is 0.
func TestGoMemoryLimitFromTheConfig(t *testing.T) {
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was) })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := config.Default()

	debug.SetMemoryLimit(1 << 40)
	t.Setenv("GOMEMLIMIT", "")
	SetGoMemoryLimit(cfg, log)
	assert.EqualValues(t, 200<<20, debug.SetMemoryLimit(-1), "the default")

	debug.SetMemoryLimit(1 << 40)
	inProcess := cfg
	inProcess.Workers.Enabled = false
	SetGoMemoryLimit(inProcess, log)
	assert.EqualValues(t, (200+2*256)<<20, debug.SetMemoryLimit(-1), "modules run in process: the engine's budgets (auto: two backends) added")

	debug.SetMemoryLimit(1 << 40)
	cfg.GoMemoryLimitMB = 0
	SetGoMemoryLimit(cfg, log)
	assert.EqualValues(t, 1<<40, debug.SetMemoryLimit(-1), "0: no limit set")

	t.Setenv("GOMEMLIMIT", "1GiB")
	cfg.GoMemoryLimitMB = 400
	SetGoMemoryLimit(cfg, log)
	assert.EqualValues(t, 1<<40, debug.SetMemoryLimit(-1), "GOMEMLIMIT wins")
}
