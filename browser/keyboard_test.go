package browser

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// focused describes the element that has the focus.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `(() => { const e = document.activeElement;
		return e.id ? "#" + e.id : e.classList.contains("cm-content") ? "editor" : e.tagName.toLowerCase() + "." + e.className; })()`)
}

// tabTo presses Tab until want has the focus (Escape first when the
// editor has it: there Tab indents, and Escape then Tab leaves, as the
// page's help says), and fails after max presses.
func tabTo(t *testing.T, ctx context.Context, want func(string) bool, max int) string {
	t.Helper()
	for range max {
		if f := focused(t, ctx); f == "editor" {
			do(t, ctx, chromedp.KeyEvent(kb.Escape))
		}
		do(t, ctx, chromedp.KeyEvent(kb.Tab))
		if f := focused(t, ctx); want(f) {
			return f
		}
	}
	require.Failf(t, "not reached by Tab", "focus is on %s", focused(t, ctx))
	return ""
}

func is(id string) func(string) bool { return func(f string) bool { return f == id } }

// The playground with the keyboard alone: Tab to the harness picker and
// choose with the arrow keys, Tab to Run and press Enter, Tab into the
// result and act on it.
func TestKeyboardOnly(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")))

	tabTo(t, ctx, is("#harness"), 10)
	do(t, ctx, chromedp.KeyEvent(kb.ArrowDown))
	assert.Equal(t, "example", eval[string](t, ctx, `document.getElementById("harness").value`), "ArrowDown picks the next harness")
	assert.False(t, eval[bool](t, ctx, `document.getElementById("opts-example").hidden`), "and shows its options")
	assert.Contains(t, editorText(t, ctx), "# #[macro_use] extern crate rocket;", "and its starter code")

	tabTo(t, ctx, is("#run"), 5)
	do(t, ctx, chromedp.KeyEvent(kb.Enter))
	assert.Equal(t, "ok", waitResult(t, ctx))
	assert.True(t, strings.HasPrefix(text(t, ctx, "#results .verdict"), "Verdict: passed"))

	// Into the result: its "use this seed" button puts the seed in the
	// seed field, and the focus with it.
	seed := text(t, ctx, "#results .facts code")
	tabTo(t, ctx, func(f string) bool { return f == "button.link" }, 30)
	do(t, ctx, chromedp.KeyEvent(kb.Enter))
	assert.Equal(t, "#seed", focused(t, ctx))
	assert.Equal(t, seed, eval[string](t, ctx, `document.getElementById("seed").value`))
}
