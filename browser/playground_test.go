package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A user types a program, runs it with Ctrl+Enter and reads its output;
// the page showed the phases while it compiled.
func TestTypeAProgramAndRunIt(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	typeInEditor(t, ctx, "fn main() {\n    let who = \"browser\";\n    println!(\"Hello, {who}!\");\n}\n")
	recordPhases(t, ctx)
	pressRun(t, ctx)
	assert.Equal(t, "ok", waitResult(t, ctx))
	assert.Contains(t, text(t, ctx, "#results .stream pre"), "Hello, browser!")
	assert.Contains(t, text(t, ctx, "#results .facts"), "program")
	assert.Contains(t, phases(t, ctx), "Compiling…", "the page showed the compile as it happened")
	screenshot(t, ctx, "playground.png", "body")
}

// A compile error is listed with its line:column in the stub and marked
// on that line in the editor; clicking it puts the cursor there.
func TestCompileErrorIsMarkedAtItsLine(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	typeInEditor(t, ctx, "fn main() {\n    let n: i32 = 1;\n    let s: String = n;\n    println!(\"{s}\");\n}\n")
	pressRun(t, ctx)
	assert.Equal(t, "compile_error", waitResult(t, ctx))

	diag := text(t, ctx, "#results .diagnostics button.diag-error")
	assert.True(t, strings.HasPrefix(diag, "3:21 error: mismatched types"), "%q", diag)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".cm-lintRange-error")))
	line := eval[int](t, ctx, `Array.from(document.querySelectorAll("#editor .cm-line")).findIndex(l => l.querySelector(".cm-lintRange-error")) + 1`)
	assert.Equal(t, 3, line, "the mark is on the stub's line 3")
	assert.Equal(t, "n", text(t, ctx, ".cm-lintRange-error"), "and on the expression rustc names")

	do(t, ctx, chromedp.Click(chromedp.CSS("#results .diagnostics button.diag-error")))
	assert.True(t, eval[bool](t, ctx, `document.activeElement.classList.contains("cm-content")`), "the editor has the focus")
	cursorLine := eval[int](t, ctx, `(() => {
		const s = getSelection(); let n = s.anchorNode;
		while (n && !(n.classList && n.classList.contains("cm-line"))) n = n.parentNode;
		return Array.from(document.querySelectorAll("#editor .cm-line")).indexOf(n) + 1; })()`)
	assert.Equal(t, 3, cursorLine, "the cursor is on the error's line")
}

// mock: the starter app, its first request edited in the request
// builder, both requests answered in order with their cookies carried.
func TestMockWithTwoRequests(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")),
		chromedp.SetValue(chromedp.ID("harness"), "mock"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("harness").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.CSS("#request-list .request")),
	)
	rows := eval[int](t, ctx, `document.querySelectorAll("#request-list .request").length`)
	require.Equal(t, 2, rows)
	do(t, ctx,
		// Select the path as typed and type over it.
		chromedp.Click(chromedp.CSS("#request-list .request input[id$=-uri]")),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent("/hello/mock"),
	)
	require.Equal(t, "/hello/mock", eval[string](t, ctx, `document.querySelector("#request-list .request input[id$=-uri]").value`))
	do(t, ctx, chromedp.Click(chromedp.ID("run")))
	assert.Equal(t, "ok", waitResult(t, ctx))
	responses := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#results .response"), r => r.querySelector("h4").textContent + " | " + r.querySelector("pre.body").textContent)`)
	require.Len(t, responses, 2)
	assert.Equal(t, "Response 1: 200 OK | Hello, mock!", responses[0])
	assert.Equal(t, "Response 2: 200 OK | {\n  \"last\": \"mock\"\n}", responses[1], "JSON pretty-printed; the cookie of the first request came back")
}

// serve: the starter #[launch] app over the virtual socket, an HTML page
// previewed in a sandboxed frame and a POST echoed.
func TestServeWithTwoRequests(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")),
		chromedp.SetValue(chromedp.ID("harness"), "serve"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("harness").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.CSS("#request-list .request")),
		chromedp.Click(chromedp.ID("run")),
	)
	assert.Equal(t, "ok", waitResult(t, ctx))
	responses := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#results .response"), r => r.querySelector("h4").textContent + " | " + r.querySelector("pre.body").textContent)`)
	require.Len(t, responses, 2)
	assert.Equal(t, "Response 1: 200 OK | <h1>Hello from Rocket</h1><p>Served over a virtual socket.</p>", responses[0])
	assert.Equal(t, "Response 2: 200 OK | ping", responses[1])
	assert.Equal(t, "", eval[string](t, ctx, `document.querySelector("#results iframe.preview").getAttribute("sandbox")`),
		"the HTML preview is a sandboxed frame: no scripts, its own origin")
}

// The first load of the playground, compressed, with nothing cached.
func TestFirstLoadTransfersLittle(t *testing.T) {
	ctx := tab(t)
	// Nothing from an earlier test's visit: every byte over the wire.
	_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	_, err = chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true})
	require.NoError(t, err)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	sizes := eval[map[string]int](t, ctx, `Object.fromEntries(performance.getEntries()
		.filter(e => e.entryType === "resource" || e.entryType === "navigation")
		.map(e => [e.name, e.transferSize]))`)
	total := 0
	for u, n := range sizes {
		assert.True(t, strings.HasPrefix(u, baseURL+"/"), "only the service's own origin: %s", u)
		assert.Positive(t, n, "%s came over the network", u)
		total += n
	}
	// Chromium asks for /favicon.ico on its own, after the page loaded,
	// so whether it is in the timeline yet is a race: counted in the
	// total when it is, but not one of the page's own loads.
	page := len(sizes)
	if _, ok := sizes[baseURL+"/favicon.ico"]; ok {
		page--
	}
	assert.Equal(t, 3, page, "the page, its script, its stylesheet: %v", sizes)
	t.Logf("first load of /: %d bytes transferred (%.1f KiB), compressed: %v", total, float64(total)/1024, sizes)
	assert.Less(t, total, 300<<10, "the issue's budget: under 300 KiB")
}
