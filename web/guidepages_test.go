package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGuidePages(t *testing.T) {
	app := newApp()

	resp := get(t, app, "/guide/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get(fiber.HeaderContentType))
	assert.Equal(t, policy(""), resp.Header.Get(fiber.HeaderContentSecurityPolicy), "no inline style or script, no nonce")
	index := string(readBody(t, resp))
	assert.Contains(t, index, `<a href="/guide/hello/">Hello, guide</a>: a first &#34;runnable&#34; chapter`)
	assert.Contains(t, index, `<a href="/guide/attributes/">Attributes</a>`)
	assert.Contains(t, index, `<script defer src="`+pages["guide"].JS+`"></script>`)

	resp = get(t, app, "/guide/attributes/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	page := string(readBody(t, resp))
	assert.Contains(t, page, `<title>Attributes · Rocket guide, runnable</title>`)
	assert.Contains(t, page, `<pre class="runnable" data-attrs="rust,no_run">`)
	assert.Contains(t, page, `<a href="/guide/attributes/" aria-current="page">`)
	assert.Contains(t, page, `<a rel="prev" href="/guide/hello/">← Hello, guide</a>`)
	assert.NotContains(t, page, `rel="next"`, "the last chapter has no next")

	// The guide's pages load only what this package serves.
	for _, m := range attrURL.FindAllStringSubmatch(anchorTag.ReplaceAllString(page, ""), -1) {
		u := strings.Trim(m[2], `"'`)
		r := get(t, app, u)
		assert.Equal(t, http.StatusOK, r.StatusCode, u)
	}

	// Relative links between chapters need the slash: without it, a
	// redirect to the page's own URL.
	for from, to := range map[string]string{"/guide": "/guide/", "/guide/hello": "/guide/hello/"} {
		resp = get(t, app, from)
		assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode, from)
		assert.Equal(t, to, resp.Header.Get(fiber.HeaderLocation), from)
	}
	assert.Equal(t, http.StatusNotFound, get(t, app, "/guide/nope/").StatusCode)
}

func TestNoGuideSaysSo(t *testing.T) {
	for dir, says := range map[string]string{
		"testdata/no-such-book": "The guide could not be loaded: guide testdata/no-such-book:",
		"":                      "This service serves no guide.",
	} {
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		Register(app, Options{GuideDir: dir})
		resp := get(t, app, "/guide/")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, dir)
		body := string(readBody(t, resp))
		assert.Contains(t, body, says, dir)
		assert.Contains(t, body, "server.guide_dir", "it says how to point at one")
		// The playground is served all the same.
		assert.Equal(t, http.StatusOK, get(t, app, "/").StatusCode)
	}
}

// Other sites include /embed.js by its stable name: cached a short while,
// revalidated by ETag, compressed.
func TestEmbedScript(t *testing.T) {
	app := newApp()
	resp := get(t, app, "/embed.js", fiber.HeaderAcceptEncoding, "gzip")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get(fiber.HeaderContentType))
	assert.Equal(t, "public, max-age=300", resp.Header.Get(fiber.HeaderCacheControl))
	assert.Equal(t, "gzip", resp.Header.Get(fiber.HeaderContentEncoding))
	etag := resp.Header.Get(fiber.HeaderETag)
	require.NotEmpty(t, etag)
	assert.Equal(t, http.StatusNotModified, get(t, app, "/embed.js", fiber.HeaderIfNoneMatch, etag, fiber.HeaderAcceptEncoding, "gzip").StatusCode)
	plain := readBody(t, get(t, app, "/embed.js"))
	assert.Contains(t, string(plain), `language-rust`, "it looks for Rust blocks")
	assert.Less(t, len(plain), 8<<10, "small")
}

// /s/{id} is the playground, which loads the share itself; what cannot be
// a share id is not found.
func TestSharePage(t *testing.T) {
	app := newApp()
	resp := get(t, app, "/s/AbC_de-0123456789")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body := readBody(t, resp)
	assert.Contains(t, string(body), `<form id="playground"`)
	assert.NotEmpty(t, resp.Header.Get(fiber.HeaderContentSecurityPolicy))
	for _, bad := range []string{"/s/short", "/s/has.dot.in.it.x", "/s/" + strings.Repeat("a", 129)} {
		assert.Equal(t, http.StatusNotFound, get(t, app, bad).StatusCode, bad)
	}
}
