package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Format puts rustfmt's version of the stub in the editor, as one change
// that undo takes back.
func TestFormat(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	const messy = "fn main(){let x=1;println!(\"{}\",x);}"
	typeInEditor(t, ctx, messy)
	do(t, ctx, chromedp.Click(chromedp.ID("format")),
		chromedp.WaitVisible(chromedp.CSS(`#results[aria-busy="false"] p`)))
	assert.Equal(t, "Formatted with rustfmt.", text(t, ctx, "#results p"))
	assert.Equal(t, "fn main() {\n    let x = 1;\n    println!(\"{}\", x);\n}\n", editorText(t, ctx))

	do(t, ctx, chromedp.Click(chromedp.CSS(".cm-content")),
		chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	assert.Equal(t, messy, editorText(t, ctx), "undo takes the formatting back")

	// A stub rustfmt cannot parse: its message, the stub untouched.
	typeInEditor(t, ctx, "fn main() {")
	do(t, ctx, chromedp.Click(chromedp.ID("format")),
		chromedp.WaitVisible(chromedp.CSS(`#results[aria-busy="false"] .badge`)))
	assert.Equal(t, "format_error", text(t, ctx, "#results .badge"))
	assert.Contains(t, text(t, ctx, "#results pre"), "unclosed delimiter")
	assert.Equal(t, "fn main() {", editorText(t, ctx))
}

// Clippy's lints are listed and marked in the editor at the stub's line.
func TestClippy(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")))
	typeInEditor(t, ctx, "fn main() {\n    let v = vec![1, 2, 3];\n    if v.len() == 0 {\n        println!(\"empty\");\n    }\n}\n")
	do(t, ctx, chromedp.Click(chromedp.ID("clippy")),
		chromedp.WaitVisible(chromedp.CSS(`#results[aria-busy="false"] .status-line .badge`)))
	assert.Equal(t, "ok", text(t, ctx, "#results .status-line .badge"))
	lints := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#results .diagnostics button"), b => b.textContent)`)
	found := false
	for _, l := range lints {
		found = found || strings.HasPrefix(l, "3:8 warning: length comparison to zero")
	}
	assert.True(t, found, "clippy::len_zero at the stub's 3:8: %q", lints)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(".cm-lintRange-warning")))
	lines := eval[[]int](t, ctx, `Array.from(document.querySelectorAll("#editor .cm-line")).flatMap((l, i) => l.querySelector(".cm-lintRange-warning") ? [i + 1] : [])`)
	assert.Contains(t, lines, 3, "a warning is marked on line 3")
}

// Share stores the editor's state and gives a /s/{id} link; opening the
// link in a fresh page brings the same state back.
func TestShareRoundTrip(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(baseURL+"/"), chromedp.WaitVisible(chromedp.CSS(".cm-content")),
		chromedp.SetValue(chromedp.ID("harness"), "mock"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("harness").dispatchEvent(new Event("change"))`),
		chromedp.WaitVisible(chromedp.CSS("#request-list .request")))
	const code = "#[macro_use] extern crate rocket;\n\n#[get(\"/<n>\")]\nfn twice(n: u32) -> String { (2 * n).to_string() }\n\n#[launch]\nfn rocket() -> _ { rocket::build().mount(\"/\", routes![twice]) }\n"
	typeInEditor(t, ctx, code)
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("seed"), "18446744073709551615"),
		chromedp.Click(chromedp.ID("share")),
		chromedp.WaitVisible(chromedp.ID("share-url")),
		chromedp.Poll[chromedp.Void](`document.getElementById("share-url").value !== ""`))
	link := eval[string](t, ctx, `document.getElementById("share-url").value`)
	require.Regexp(t, `^`+baseURL+`/s/[A-Za-z0-9_-]{24}$`, link)
	assert.Equal(t, link, eval[string](t, ctx, "location.href"), "the address bar holds the link")
	requests := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#request-list .request input[id$=-uri]"), i => i.value)`)

	// A fresh tab: nothing of the first page's state but the link.
	ctx = tab(t)
	do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS(".cm-content")),
		chromedp.Poll[chromedp.Void](`document.getElementById("harness").value === "mock"`))
	assert.Equal(t, strings.TrimSuffix(code, "\n"), strings.TrimSuffix(editorText(t, ctx), "\n"))
	assert.Equal(t, "18446744073709551615", eval[string](t, ctx, `document.getElementById("seed").value`), "all 64 bits of the seed")
	assert.Equal(t, requests, eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#request-list .request input[id$=-uri]"), i => i.value)`))

	// And it runs as shared.
	pressRun(t, ctx)
	assert.Equal(t, "ok", waitResult(t, ctx))
	assert.Equal(t, "18446744073709551615", text(t, ctx, "#results .facts code"))
}
