package openapi

import (
	"embed"
	"path"
)

// docsFiles is the offline docs page: a small renderer of the document,
// no framework and nothing fetched but /openapi.json.
//
//go:embed docs
var docsFiles embed.FS

// DocsAsset is one file of the docs page.
type DocsAsset struct {
	Body        []byte
	ContentType string
}

// DocsPage returns the page served at /docs.
func DocsPage() DocsAsset { return mustAsset("index.html") }

// DocsAssetNamed returns one of the page's assets (docs.js, docs.css), if
// there is one by that name.
func DocsAssetNamed(name string) (DocsAsset, bool) {
	if name == "index.html" || path.Base(name) != name {
		return DocsAsset{}, false
	}
	b, err := docsFiles.ReadFile("docs/" + name)
	if err != nil {
		return DocsAsset{}, false
	}
	return DocsAsset{Body: b, ContentType: contentTypes[path.Ext(name)]}, true
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

func mustAsset(name string) DocsAsset {
	b, err := docsFiles.ReadFile("docs/" + name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return DocsAsset{Body: b, ContentType: contentTypes[path.Ext(name)]}
}

// DocsPolicy is the Content-Security-Policy of the docs page: its own
// script and stylesheet, and fetches of the same origin only.
const DocsPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
