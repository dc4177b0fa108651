package browser

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// test: the starter app's two #[test]s run as cargo test runs them, each
// shown with its status and its own output, then the counts.
func TestTestHarnessShowsEachTest(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")),
		chromedp.SetValue(chromedp.ID("harness"), "test"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("harness").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.ID("filter")),
	)
	require.Contains(t, editorText(t, ctx), "mod tests")
	pressRun(t, ctx)
	assert.Equal(t, "ok", waitResult(t, ctx))
	tests := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#results .tests li"), li => li.querySelector(".test-status").textContent + " " + li.querySelector(".test-name").textContent)`)
	assert.Equal(t, []string{"ok tests::hello_greets_by_name", "ok tests::unknown_path_is_404"}, tests)
	assert.Contains(t, eval[string](t, ctx, `document.querySelector("#results .tests li:nth-child(2) details pre").textContent`),
		"status: 404 Not Found", "the test's own captured output")
	assert.Equal(t, "Test result: 2 passed; 0 failed; 0 ignored.", text(t, ctx, "#results .test-summary"))
	assert.Contains(t, text(t, ctx, "#results .verdict"), "passed")
}
