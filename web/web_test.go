package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newApp() *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	Register(app, Options{GuideDir: "testdata/book"})
	return app
}

func get(t *testing.T, app *fiber.App, target string, header ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := app.Test(req, -1)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readBody(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return b
}

// attrURL finds every attribute that makes a browser load something;
// anchors, which it loads only when followed, are taken out first
// (anchorTag).
var (
	attrURL   = regexp.MustCompile(`\s(src|href|srcset|action|data|poster)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	anchorTag = regexp.MustCompile(`<a\s[^>]*>`)
)

// The page loads only what this package serves: every URL in index.html
// is a same-origin path, in the embed, served with its type.
func TestIndexReferencesOnlyEmbeddedAssets(t *testing.T) {
	index, err := fs.ReadFile(dist, "dist/index.html")
	require.NoError(t, err)
	assert.NotContains(t, string(index), "<style", "no inline styles: the CSP forbids them")
	assert.NotRegexp(t, `<script(\s[^>]*)?>\s*[^<\s]`, string(index), "no inline scripts: the CSP forbids them")

	app := newApp()
	kinds := map[string]bool{}
	for _, m := range attrURL.FindAllStringSubmatch(anchorTag.ReplaceAllString(string(index), ""), -1) {
		u := strings.Trim(m[2], `"'`)
		t.Run(u, func(t *testing.T) {
			require.True(t, strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//"),
				"%s=%q: only same-origin paths", m[1], u)
			require.NotContains(t, u, ":", "%s=%q: no scheme", m[1], u)
			_, err := fs.Stat(dist, "dist"+u)
			require.NoError(t, err, "%s is not in the embed", u)
			resp := get(t, app, u)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			ct := resp.Header.Get(fiber.HeaderContentType)
			kinds[ct] = true
		})
	}
	assert.True(t, kinds["text/javascript; charset=utf-8"], "the page loads its script: %v", kinds)
	assert.True(t, kinds["text/css; charset=utf-8"], "the page loads its stylesheet: %v", kinds)
}

var metaNonce = regexp.MustCompile(`<meta name="csp-nonce" content="([^"]*)">`)

// The page comes with the security headers, under a policy whose only
// inline allowance is a nonce that is new for every response and is the
// one the page hands to CodeMirror.
func TestPageHeaders(t *testing.T) {
	app := newApp()
	nonces := map[string]bool{}
	for range 2 {
		resp := get(t, app, "/")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get(fiber.HeaderContentType))
		assert.Equal(t, "nosniff", resp.Header.Get(fiber.HeaderXContentTypeOptions))
		assert.Equal(t, "no-store", resp.Header.Get(fiber.HeaderCacheControl))
		assert.Empty(t, resp.Header.Get(fiber.HeaderETag), "a page with a nonce is not revalidated")
		body := readBody(t, resp)
		m := metaNonce.FindSubmatch(body)
		require.NotNil(t, m, "the page carries its nonce")
		nonce := string(m[1])
		assert.Regexp(t, `^[A-Za-z0-9_-]{24}$`, nonce)
		nonces[nonce] = true
		csp := resp.Header.Get(fiber.HeaderContentSecurityPolicy)
		assert.Equal(t, policy(nonce), csp)
		for _, directive := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self' 'nonce-" + nonce + "';", "connect-src 'self'", "frame-ancestors 'none'"} {
			assert.Contains(t, csp, directive)
		}
		assert.NotContains(t, csp, "unsafe")
		assert.NotContains(t, csp, "http")
		assert.Contains(t, csp, "img-src 'self' data:;", "CodeMirror's lint marks are data: SVGs")
		assert.Equal(t, string(page), strings.Replace(string(body), nonce, noncePlaceholder, 1))
	}
	assert.Len(t, nonces, 2, "each response has its own nonce")
}

func TestAssetsAreCompressedAndCachedForGood(t *testing.T) {
	app := newApp()
	require.NotEmpty(t, assets)
	for name, f := range assets {
		resp := get(t, app, "/assets/"+name, fiber.HeaderAcceptEncoding, "gzip, deflate, br")
		require.Equal(t, http.StatusOK, resp.StatusCode, name)
		assert.Equal(t, "public, max-age=31536000, immutable", resp.Header.Get(fiber.HeaderCacheControl), name)
		assert.Equal(t, policy(""), resp.Header.Get(fiber.HeaderContentSecurityPolicy), name)
		assert.Equal(t, "nosniff", resp.Header.Get(fiber.HeaderXContentTypeOptions), name)
		assert.Equal(t, "gzip", resp.Header.Get(fiber.HeaderContentEncoding), name)
		assert.Equal(t, "Accept-Encoding", resp.Header.Get(fiber.HeaderVary), name)
		zr, err := gzip.NewReader(bytes.NewReader(readBody(t, resp)))
		require.NoError(t, err, name)
		plain, err := io.ReadAll(zr)
		require.NoError(t, err, name)
		assert.Equal(t, f.body, plain, name)

		// Without gzip in Accept-Encoding, the plain bytes.
		resp = get(t, app, "/assets/"+name, fiber.HeaderAcceptEncoding, "gzip;q=0, identity")
		assert.Empty(t, resp.Header.Get(fiber.HeaderContentEncoding), name)
		assert.Equal(t, f.body, readBody(t, resp), name)

		// A current copy is confirmed, not sent again.
		etag := resp.Header.Get(fiber.HeaderETag)
		require.NotEmpty(t, etag, name)
		resp = get(t, app, "/assets/"+name, fiber.HeaderIfNoneMatch, etag)
		assert.Equal(t, http.StatusNotModified, resp.StatusCode, name)
		assert.Empty(t, readBody(t, resp), name)
	}
	assert.Equal(t, http.StatusNotFound, get(t, app, "/assets/nope.js").StatusCode)
	assert.Equal(t, http.StatusNotFound, get(t, app, "/assets/..%2findex.html").StatusCode)
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                     false,
		"gzip":                 true,
		"GZIP":                 true,
		"deflate, gzip;q=0.5":  true,
		"br, deflate":          false,
		"gzip;q=0":             false,
		"gzip; q=0.000":        false,
		"*":                    true,
		"*;q=0":                false,
		"*, gzip;q=0":          false,
		"identity, x-gzip":     true,
		"gzip;q=nonsense":      false,
		"br;q=1.0, gzip;q=0.8": true,
	} {
		assert.Equal(t, want, acceptsGzip(header), "%q", header)
	}
}

// The committed bundle is what the lock file builds (check-bundle.sh:
// npm ci into a temporary copy, build, compare). CI has node and npm;
// without them this fails rather than pass unchecked.
func TestBundleRebuildsFromLockFile(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatalf("npm is not on PATH: this test rebuilds web/dist from web/package-lock.json "+
			"(web/check-bundle.sh) and needs node and npm (Debian: apt-get install nodejs npm): %v", err)
	}
	// The script reads these in another process, which go test's cache
	// does not see; reading them here makes a change to any of them
	// invalidate a cached pass.
	for _, root := range []string{"check-bundle.sh", "package.json", "package-lock.json", "build.mjs", "test.mjs", "tsconfig.json", "src", "dist"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			_, err = os.ReadFile(p)
			return err
		})
		require.NoError(t, err)
	}
	out, err := exec.Command("sh", "check-bundle.sh").CombinedOutput()
	if err != nil {
		t.Fatalf("web/check-bundle.sh: %v\n%s", err, out)
	}
}
