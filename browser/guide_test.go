package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A reader runs a block of Rocket's guide where it stands: the result,
// with the example harness's verdict, appears under the block. Hidden
// lines show on demand, and Edit opens the block in the playground.
func TestRunAGuideBlock(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/guide/overview/"), chromedp.WaitVisible(chromedp.CSS("pre.runnable + .block-bar")))
	blocks := eval[int](t, ctx, `document.querySelectorAll("pre.runnable").length`)
	bars := eval[int](t, ctx, `document.querySelectorAll("pre.runnable + .block-bar button.primary").length`)
	assert.Equal(t, 7, blocks, "the chapter's ```rust blocks")
	assert.Equal(t, blocks, bars, "each has Run")

	const first = `pre.runnable`
	hidden := `getComputedStyle(document.querySelector("pre.runnable .boring")).display`
	assert.Equal(t, "none", eval[string](t, ctx, hidden), "hidden lines are hidden")
	do(t, ctx, chromedp.Click(chromedp.CSS(first+" + .block-bar button[aria-pressed]")))
	assert.Equal(t, "inline", eval[string](t, ctx, hidden), "and shown on demand")
	assert.Equal(t, "true", eval[string](t, ctx, `document.querySelector("pre.runnable + .block-bar button[aria-pressed]").getAttribute("aria-pressed")`))

	do(t, ctx, chromedp.Click(chromedp.CSS(first+" + .block-bar button.primary")),
		chromedp.WaitVisible(chromedp.CSS(`.block-result[aria-busy="false"] .verdict`)))
	assert.Equal(t, "ok", text(t, ctx, ".block-result .status-line .badge"))
	assert.True(t, strings.HasPrefix(text(t, ctx, ".block-result .verdict"), "Verdict: passed"))
	screenshot(t, ctx, "guide.png", "pre.runnable")

	// Edit: the block as written, with its attributes, in the playground.
	source := eval[string](t, ctx, `document.querySelector("pre.runnable code").textContent`)
	require.True(t, strings.HasPrefix(source, "# #[macro_use] extern crate rocket;\n"), "%q", source)
	do(t, ctx, chromedp.Click(chromedp.CSS(first+" + .block-bar a")), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	assert.Equal(t, "example", eval[string](t, ctx, `document.getElementById("harness").value`))
	assert.Equal(t, "rust", eval[string](t, ctx, `document.getElementById("attrs").value`))
	assert.Equal(t, strings.TrimSuffix(source, "\n"), strings.TrimSuffix(editorText(t, ctx), "\n"))
	assert.Equal(t, baseURL+"/", eval[string](t, ctx, `location.href`), "the page's URL is the playground's own")
}

// An ignored block runs as rustdoc treats it: not compiled, "ignored".
func TestGuideBlockAttributes(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/guide/responses/"), chromedp.WaitVisible(chromedp.CSS("pre.runnable + .block-bar")))
	id := eval[string](t, ctx, `(Array.from(document.querySelectorAll("pre.runnable")).find(p => p.dataset.attrs === "rust,ignore") || {}).id || ""`)
	require.NotEmpty(t, id, "the chapter has a rust,ignore block")
	assert.Equal(t, "rust,ignore", text(t, ctx, "#"+id+"-bar code.attrs"), "the block says how it runs")
	do(t, ctx, chromedp.Click(chromedp.CSS("#"+id+"-bar button.primary")),
		chromedp.WaitVisible(chromedp.CSS("#"+id+`-result[aria-busy="false"] .verdict`)))
	verdict := text(t, ctx, "#"+id+"-result .verdict")
	assert.True(t, strings.HasPrefix(verdict, "Verdict: ignored"), "%q", verdict)
}
