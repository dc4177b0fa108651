package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// The API docs page renders the contract offline: everything it loads
// comes from the service itself.
func TestDocsPageRendersOffline(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/docs"), chromedp.WaitVisible(chromedp.CSS("#toc a")))
	ops := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#toc a"), a => a.textContent)`)
	assert.Contains(t, ops, "POST /api/v1/execute")
	assert.Contains(t, ops, "GET /guide/")
	assert.False(t, eval[bool](t, ctx, `!!document.getElementById("loading")`), "the contract was loaded and rendered")
	for _, u := range eval[[]string](t, ctx, `performance.getEntries().filter(e => e.entryType === "resource" || e.entryType === "navigation").map(e => e.name)`) {
		assert.True(t, strings.HasPrefix(u, baseURL+"/"), "only the service's own origin: %s", u)
	}
}

// The policy check every tab ends with sees a refusal: something the
// playground's policy forbids (an image from another origin) is reported.
func TestPolicyViolationsAreSeen(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")),
		chromedp.Evaluate[chromedp.Void](`document.body.append(Object.assign(document.createElement("img"), {src: "`+siteURL+`/nope.png"}))`),
		chromedp.Poll[chromedp.Void](`window.__violations.length > 0`))
	v := eval[[]string](t, ctx, `window.__violations.splice(0)`) // taken out, so the tab's own check passes
	assert.Equal(t, []string{"img-src " + siteURL + "/nope.png"}, v)
}
