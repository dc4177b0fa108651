package web

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// dist is the build's output: index.html, and assets/ named by content hash.
//
//go:embed dist
var dist embed.FS

// Routes of the browser face.
const (
	routePage    = "/"
	routeShare   = "/s/:id"
	routeAssets  = "/assets/:name"
	routeEmbed   = "/embed.js"
	routeGuide   = "/guide/"
	routeChapter = "/guide/:slug/"
)

// policy is the Content-Security-Policy of every response of this package.
// The page loads its script, its stylesheet and the API from its own origin
// and nothing else: no inline script, no remote origin, no plugins, no
// framing by other sites. The one exception is CodeMirror's stylesheet,
// which it builds at run time in a <style> element: that element carries
// the page's nonce (fresh for each response of the page), and style-src
// allows that nonce and nothing else inline; its stylesheet draws the
// diagnostics' underlines and gutter markers as data: SVG images, hence
// img-src data:. HTML response bodies are previewed in srcdoc iframes,
// which inherit this policy too.
func policy(nonce string) string {
	style := "style-src 'self'"
	if nonce != "" {
		style += " 'nonce-" + nonce + "'"
	}
	return "default-src 'none'; script-src 'self'; " + style + "; connect-src 'self'; img-src 'self' data:; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// noncePlaceholder is what index.html has where the page's nonce goes (a
// meta tag the script reads to hand the nonce to CodeMirror).
const noncePlaceholder = "{{nonce}}"

// cacheEmbed is the embed script's cache policy: other sites include it
// by its stable name, so a copy is kept a short while and then
// revalidated (its ETag), and a new release reaches them within minutes.
const cacheEmbed = "public, max-age=300"

// Cache policies: the page is never stored, because each response has its
// own nonce (a revalidated copy would keep the old nonce under a new
// policy); the assets it names change name when their content changes,
// so they can be kept for good.
const (
	cachePage  = "no-store"
	cacheAsset = "public, max-age=31536000, immutable"
)

// file is one embedded file, ready to serve.
type file struct {
	body, gzipped []byte // gzipped is nil when compression does not pay
	contentType   string
	cacheControl  string
	etag          string
}

var (
	page    []byte          // index.html, with noncePlaceholder
	assets  map[string]file // by name under assets/
	embedJS file            // embed.js
	pages   map[string]bundle
)

// bundle is what a page built in Go (the guide) loads: its script and
// stylesheet, as URL paths (dist/pages.json, written by build.mjs).
type bundle struct {
	JS  string `json:"js"`
	CSS string `json:"css"`
}

func init() {
	var err error
	if page, assets, err = load(dist); err != nil {
		// The embed is part of the binary: a broken one is a build bug.
		panic(fmt.Sprintf("web: %v", err))
	}
	if embedJS, pages, err = loadExtras(dist); err != nil {
		panic(fmt.Sprintf("web: %v", err))
	}
}

// loadExtras reads the embed script and the bundles of the pages built
// in Go.
func loadExtras(fsys fs.FS) (file, map[string]bundle, error) {
	body, err := fs.ReadFile(fsys, "dist/embed.js")
	if err != nil {
		return file{}, nil, fmt.Errorf("the build has no embed.js: %w", err)
	}
	e, err := newFile(body, "embed.js", cacheEmbed)
	if err != nil {
		return file{}, nil, err
	}
	raw, err := fs.ReadFile(fsys, "dist/pages.json")
	if err != nil {
		return file{}, nil, fmt.Errorf("the build has no pages.json: %w", err)
	}
	var ps map[string]bundle
	if err := json.Unmarshal(raw, &ps); err != nil {
		return file{}, nil, fmt.Errorf("pages.json: %w", err)
	}
	if g := ps["guide"]; g.JS == "" || g.CSS == "" {
		return file{}, nil, fmt.Errorf("pages.json names no guide bundle")
	}
	return e, ps, nil
}

// load reads the page and the assets out of fsys (the embed, or a test's).
func load(fsys fs.FS) ([]byte, map[string]file, error) {
	p, err := fs.ReadFile(fsys, "dist/index.html")
	if err != nil {
		return nil, nil, fmt.Errorf("the build has no index.html: %w", err)
	}
	if !bytes.Contains(p, []byte(noncePlaceholder)) {
		return nil, nil, fmt.Errorf("index.html has no %s for the style nonce", noncePlaceholder)
	}
	entries, err := fs.ReadDir(fsys, "dist/assets")
	if err != nil {
		return nil, nil, fmt.Errorf("the build has no assets: %w", err)
	}
	as := make(map[string]file, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := fs.ReadFile(fsys, "dist/assets/"+e.Name())
		if err != nil {
			return nil, nil, err
		}
		f, err := newFile(body, e.Name(), cacheAsset)
		if err != nil {
			return nil, nil, err
		}
		as[e.Name()] = f
	}
	return p, as, nil
}

// contentTypes are the types of what the build writes. Go's mime table is
// not used alone because it reads the host's /etc/mime.types, and the
// answer must not depend on the machine.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
}

func newFile(body []byte, name, cacheControl string) (file, error) {
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		if ct = mime.TypeByExtension(path.Ext(name)); ct == "" {
			return file{}, fmt.Errorf("%s: no content type for its extension", name)
		}
	}
	sum := sha256.Sum256(body)
	f := file{body: body, contentType: ct, cacheControl: cacheControl, etag: hex.EncodeToString(sum[:12])}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return file{}, err
	}
	if _, err := zw.Write(body); err != nil {
		return file{}, fmt.Errorf("gzip %s: %w", name, err)
	}
	if err := zw.Close(); err != nil {
		return file{}, fmt.Errorf("gzip %s: %w", name, err)
	}
	if buf.Len() < len(body) {
		f.gzipped = buf.Bytes()
	}
	return f, nil
}

// Options are what the browser face is built from.
type Options struct {
	// GuideDir is the directory of Markdown chapters served at /guide/
	// (server.guide_dir); "" serves none. One that cannot be read makes
	// /guide/ say so (serve logs it at start: guide.Check).
	GuideDir string
}

// Register adds the browser face to app: GET (and HEAD) / and /s/{id}
// for the playground (a share opens in it), /assets/{name} for what the
// pages load, /embed.js for other sites, and /guide/ for the runnable
// guide.
func Register(app fiber.Router, opts Options) {
	app.Get(routePage, servePage)
	app.Get(routeShare, func(c *fiber.Ctx) error {
		if !shareID.MatchString(c.Params("id")) {
			return fiber.ErrNotFound
		}
		return servePage(c)
	})
	app.Get(routeAssets, func(c *fiber.Ctx) error {
		f, ok := assets[c.Params("name")]
		if !ok {
			return fiber.ErrNotFound
		}
		return serve(c, f)
	})
	app.Get(routeEmbed, func(c *fiber.Ctx) error { return serve(c, embedJS) })
	g := newGuidePages(opts.GuideDir)
	app.Get(routeGuide, g.index)
	app.Get(routeChapter, g.chapter)
}

// shareID is what a share's id looks like (a url-safe hash); anything
// else is not a share.
var shareID = regexp.MustCompile(`^[A-Za-z0-9_-]{8,128}$`)

// servePage answers with the playground under a fresh nonce. The page is
// small (3 KiB) and sent as it is.
func servePage(c *fiber.Ctx) error {
	var b [18]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("style nonce: %w", err)
	}
	nonce := base64.RawURLEncoding.EncodeToString(b[:])
	securityHeaders(c, nonce)
	c.Set(fiber.HeaderCacheControl, cachePage)
	c.Set(fiber.HeaderContentType, contentTypes[".html"])
	return c.Send(bytes.ReplaceAll(page, []byte(noncePlaceholder), []byte(nonce)))
}

func securityHeaders(c *fiber.Ctx, nonce string) {
	c.Set(fiber.HeaderContentSecurityPolicy, policy(nonce))
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
}

// serve answers with an asset, gzipped when the client takes it, or 304
// when the client's copy is current.
func serve(c *fiber.Ctx, f file) error {
	securityHeaders(c, "")
	c.Set(fiber.HeaderCacheControl, f.cacheControl)
	c.Set(fiber.HeaderContentType, f.contentType)
	body, etag := f.body, `"`+f.etag+`"`
	if f.gzipped != nil {
		c.Vary(fiber.HeaderAcceptEncoding)
		if acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
			body, etag = f.gzipped, `"`+f.etag+`-gz"`
			c.Set(fiber.HeaderContentEncoding, "gzip")
		}
	}
	c.Set(fiber.HeaderETag, etag)
	if matches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		c.Response().Header.Del(fiber.HeaderContentEncoding)
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(body)
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip:
// named, or covered by *, with a quality above 0.
func acceptsGzip(header string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(coding)) {
		case "gzip", "x-gzip":
			return qualityAbove0(params)
		case "*":
			star = qualityAbove0(params)
		}
	}
	return star
}

// qualityAbove0 reads the q parameter of one coding (default 1).
func qualityAbove0(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return err == nil && q > 0
		}
	}
	return true
}

// matches reports whether an If-None-Match value names etag (or is *).
func matches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == "*" {
			return true
		}
	}
	return false
}
