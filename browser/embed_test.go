package browser

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// embedPage is someone's documentation page on another origin: it
// includes /embed.js and has Rust blocks in plain markup and in mdBook's
// (its classes, its hidden-line spans), and a block in another language.
const embedPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Docs elsewhere</title></head>
<body>
<h1>Someone else's docs</h1>
<pre><code class="language-rust" id="plain">let greeting = "hi from embed";
println!("{greeting}");
</code></pre>
<pre class="playground"><code class="language-rust ignore hljs" id="mdbook-ignored">this does not compile, and is not compiled
</code></pre>
<pre class="playground"><code class="language-rust edition2021 hljs" id="mdbook"><span class="boring">#![allow(unused)]
</span><span class="boring">fn main() {
</span>let x = 1 + 1;
assert_eq!(x, 2);
<span class="boring">}</span></code></pre>
<pre><code class="language-toml">[dependencies]
rocket = "0.5.1"
</code></pre>
<script src="%s/embed.js" defer></script>
</body></html>
`

// sitePages serves the page of another origin that includes the embed
// script (both the allowed origin and the refused one serve it).
func sitePages() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, embedPage, baseURL)
	})
	return mux
}

// runEmbedded clicks the Run button the script added under the block
// with id and returns what it shows when done.
func runEmbedded(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	run := "pre:has(> #" + id + ") + .rocket-sandbox-run"
	result := run + " + .rocket-sandbox-result"
	do(t, ctx, chromedp.Click(chromedp.CSS(run)),
		chromedp.Poll[chromedp.Void](`(() => { const b = document.querySelector("`+run+`"); return !b.hasAttribute("aria-disabled") && document.querySelector("`+result+`").textContent !== ""; })()`))
	return text(t, ctx, result)
}

// On a page of an allowed origin the script adds Run under every Rust
// block, mdBook's included, and runs them on the service, cross-origin.
func TestEmbedOnAnAllowedOrigin(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(siteURL+"/docs.html"), chromedp.WaitVisible(chromedp.CSS("pre:has(> #mdbook) + .rocket-sandbox-run")))
	assert.Equal(t, 3, eval[int](t, ctx, `document.querySelectorAll(".rocket-sandbox-run").length`), "one Run per Rust block, none for TOML")
	assert.Equal(t, siteURL, eval[string](t, ctx, "location.origin"))

	out := runEmbedded(t, ctx, "plain")
	assert.True(t, strings.HasPrefix(out, "ok · passed"), "%q", out)
	assert.Contains(t, out, "hi from embed")

	out = runEmbedded(t, ctx, "mdbook-ignored")
	assert.True(t, strings.HasPrefix(out, "ok · ignored"), "mdBook's ignore class is the fence's ignore: %q", out)
}

// On a page of an origin the service does not allow, the browser's CORS
// check stops the call, and the button says why.
func TestEmbedOnARefusedOrigin(t *testing.T) {
	ctx := tab(t)
	do(t, ctx, chromedp.Navigate(otherURL+"/docs.html"), chromedp.WaitVisible(chromedp.CSS("pre:has(> #plain) + .rocket-sandbox-run")))
	out := runEmbedded(t, ctx, "plain")
	require.Contains(t, out, "could not be reached")
	assert.Contains(t, out, otherURL, "it names the page's origin to add to server.allowed_origins")
	assert.NotContains(t, out, "hi from embed")
}
