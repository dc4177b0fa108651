// Package guide reads a directory of Markdown chapters (an mdBook-style
// book, or Rocket's own guide) and renders each as an HTML fragment in
// which every Rust code block is marked up to be run: the page's script
// adds Run and Edit to each and sends the block, with its fence's info
// string, to the `example` harness, which treats it as `cargo test --doc`
// would.
//
// Rendering happens here, on the server, once at start: the chapters are
// the operator's files, not a visitor's, and a page that arrives rendered
// needs no Markdown parser in the browser (docs/design.md, "The guide").
package guide

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses/rustdoc"
)

// Chapter is one rendered chapter.
type Chapter struct {
	// Slug is the chapter's URL segment: its file's path without ".md"
	// and without a leading number ("05-requests.md" is "requests"),
	// which is what Rocket's guide links to ("../requests/#forms").
	Slug string
	// File is the chapter's path in the book's directory.
	File    string
	Title   string
	Summary string
	// Body is the chapter rendered, Rust blocks marked up as runnable.
	Body template.HTML
	// Blocks counts its Rust blocks.
	Blocks int
}

// Book is the chapters in reading order.
type Book struct {
	Dir      string
	Chapters []Chapter
}

// Chapter returns the chapter with slug, if there is one.
func (b *Book) Chapter(slug string) (int, bool) {
	for i, c := range b.Chapters {
		if c.Slug == slug {
			return i, true
		}
	}
	return 0, false
}

// Load reads the book in dir: the chapters SUMMARY.md links to, in its
// order, as mdBook does; without a SUMMARY.md, every .md file but
// README.md, by name.
func Load(dir string) (*Book, error) {
	return load(os.DirFS(dir), dir)
}

// Check says whether dir holds a book Load can read, without rendering
// it: what `serve` logs at start (a service without its guide still
// starts).
func Check(dir string) error {
	files, err := chapterFiles(os.DirFS(dir))
	if err == nil && len(files) == 0 {
		err = errors.New("no Markdown chapters")
	}
	if err != nil {
		return fmt.Errorf("guide %s: %w", dir, err)
	}
	return nil
}

func load(fsys fs.FS, dir string) (*Book, error) {
	files, err := chapterFiles(fsys)
	if err != nil {
		return nil, fmt.Errorf("guide %s: %w", dir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("guide %s: no Markdown chapters", dir)
	}
	b := &Book{Dir: dir}
	slugs := map[string]string{}  // file → slug, for links between chapters
	bySlug := map[string]string{} // slug → file
	for _, f := range files {
		s := slugOf(f)
		if other, dup := bySlug[s]; dup {
			return nil, fmt.Errorf("guide %s: %s and %s would both be /guide/%s/", dir, other, f, s)
		}
		slugs[f], bySlug[s] = s, f
	}
	for _, f := range files {
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("guide %s: %w", dir, err)
		}
		c, err := render(src, f, slugs)
		if err != nil {
			return nil, fmt.Errorf("guide %s: %s: %w", dir, f, err)
		}
		b.Chapters = append(b.Chapters, c)
	}
	return b, nil
}

// summaryLink is one `[Title](path.md)` of a SUMMARY.md.
var summaryLink = regexp.MustCompile(`\]\(([^)#\s]+\.md)\)`)

func chapterFiles(fsys fs.FS) ([]string, error) {
	summary, err := fs.ReadFile(fsys, "SUMMARY.md")
	if err == nil {
		var files []string
		seen := map[string]bool{}
		for _, m := range summaryLink.FindAllSubmatch(summary, -1) {
			f := path.Clean(strings.TrimPrefix(string(m[1]), "./"))
			if !fs.ValidPath(f) || seen[f] {
				continue
			}
			seen[f] = true
			files = append(files, f)
		}
		return files, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".md") && n != "README.md" {
			files = append(files, n)
		}
	}
	sort.Strings(files)
	return files, nil
}

var numberPrefix = regexp.MustCompile(`^[0-9]+[-_.]`)

func slugOf(file string) string {
	parts := strings.Split(strings.TrimSuffix(file, ".md"), "/")
	for i, p := range parts {
		parts[i] = numberPrefix.ReplaceAllString(p, "")
	}
	return strings.Join(parts, "-")
}

// frontMatter is a leading +++ (TOML, as in Rocket's guide) or --- (YAML)
// block; summaryKey is the one key read from it.
var (
	frontMatter = regexp.MustCompile(`(?s)\A(\+\+\+|---)\r?\n(.*?)\r?\n(\+\+\+|---)\r?\n`)
	summaryKey  = regexp.MustCompile(`(?m)^summary\s*[=:]\s*"((?:[^"\\]|\\.)*)"`)
)

func render(src []byte, file string, slugs map[string]string) (Chapter, error) {
	c := Chapter{Slug: slugs[file], File: file}
	if m := frontMatter.FindSubmatch(src); m != nil && string(m[1]) == string(m[3]) {
		if s := summaryKey.FindSubmatch(m[2]); s != nil {
			c.Summary = strings.ReplaceAll(string(s[1]), `\"`, `"`)
		}
		src = src[len(m[0]):]
	}
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
		// Raw HTML in a chapter is dropped (goldmark's default): pages
		// carry only markup this package writes.
		goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(&codeRenderer{}, 100))),
	)
	doc := md.Parser().Parse(text.NewReader(src))
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level == 1 && c.Title == "" {
				c.Title = plainText(n, src)
			}
		case *ast.Link:
			n.Destination = []byte(rewriteLink(string(n.Destination), file, slugs))
		case *ast.FencedCodeBlock:
			if isRust(n, src) {
				c.Blocks++
			}
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return c, err
	}
	if c.Title == "" {
		c.Title = c.Slug
	}
	var out bytes.Buffer
	if err := md.Renderer().Render(&out, src, doc); err != nil {
		return c, err
	}
	c.Body = template.HTML(out.String()) // goldmark escapes the text; raw HTML is omitted
	return c, nil
}

func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering {
			switch t := n.(type) {
			case *ast.Text:
				b.Write(t.Segment.Value(src))
			case *ast.String:
				b.Write(t.Value)
			}
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// linkPrefixes are the shorthands Rocket's guide writes links with, and
// what its site expands them to.
var linkPrefixes = map[string]string{
	"@api/":   "https://api.rocket.rs/",
	"@git/":   "https://github.com/rwf2/Rocket/tree/",
	"@std/":   "https://doc.rust-lang.org/std/",
	"@tokio/": "https://docs.rs/tokio/1/tokio/",
}

// rewriteLink makes a chapter's links work where it is served: Rocket's
// shorthands become their sites, and a link to another chapter's file
// ("other.md#x", as mdBook books write them) becomes its page.
func rewriteLink(dest, file string, slugs map[string]string) string {
	for p, site := range linkPrefixes {
		if strings.HasPrefix(dest, p) {
			return site + strings.TrimPrefix(dest, p)
		}
	}
	if strings.Contains(dest, ":") || strings.HasPrefix(dest, "/") {
		return dest
	}
	target, frag, _ := strings.Cut(dest, "#")
	if !strings.HasSuffix(target, ".md") {
		return dest
	}
	s, ok := slugs[path.Join(path.Dir(file), target)]
	if !ok {
		return dest
	}
	if frag != "" {
		frag = "#" + frag
	}
	return "../" + s + "/" + frag
}

// isRust says whether a fenced block is a doctest: an info string that
// rustdoc reads as Rust (`rust`, `rust,no_run`, `should_panic`, …). A
// fence without one is not, as on mdBook's pages (rustdoc would test it;
// in a book it is most often output or a shell session).
func isRust(n *ast.FencedCodeBlock, src []byte) bool {
	info := infoString(n, src)
	return info != "" && rustdoc.ParseAttrs(info).Rust
}

func infoString(n *ast.FencedCodeBlock, src []byte) string {
	if n.Info == nil {
		return ""
	}
	return strings.TrimSpace(string(n.Info.Segment.Value(src)))
}

// codeRenderer renders fenced code blocks: a Rust block becomes
//
//	<pre class="runnable" data-attrs="INFO"><code class="language-rust">…</code></pre>
//
// where each hidden line (rustdoc's `# `) is a span.boring and the
// characters rustdoc removes from a line (`# `, one `#` of `##`) are a
// span.cut the stylesheet never shows. The code element's text is thus
// the block exactly as written, which is what Run sends; what a reader
// sees is what rustdoc's pages show. Other blocks render as goldmark's
// would.
type codeRenderer struct{}

func (r *codeRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindFencedCodeBlock, r.fenced)
}

func (r *codeRenderer) fenced(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	var code strings.Builder
	for i := 0; i < n.Lines().Len(); i++ {
		seg := n.Lines().At(i)
		code.Write(seg.Value(src))
	}
	info := infoString(n, src)
	if !isRust(n, src) {
		_, _ = w.WriteString("<pre><code")
		if lang := n.Language(src); lang != nil {
			_, _ = w.WriteString(` class="language-` + template.HTMLEscapeString(string(lang)) + `"`)
		}
		_, _ = w.WriteString(">" + template.HTMLEscapeString(code.String()) + "</code></pre>\n")
		return ast.WalkSkipChildren, nil
	}
	_, _ = w.WriteString(`<pre class="runnable" data-attrs="` + template.HTMLEscapeString(info) + `"><code class="language-rust">`)
	for _, line := range strings.SplitAfter(code.String(), "\n") {
		if line == "" {
			continue
		}
		body := strings.TrimSuffix(line, "\n")
		nl := line[len(body):]
		hidden, cut, k := rustdoc.MapLine(strings.TrimSuffix(body, "\r"))
		var b strings.Builder
		b.WriteString(template.HTMLEscapeString(body[:cut]))
		if k > 0 {
			b.WriteString(`<span class="cut">` + template.HTMLEscapeString(body[cut:cut+k]) + `</span>`)
		}
		b.WriteString(template.HTMLEscapeString(body[cut+k:]) + nl)
		if hidden {
			_, _ = w.WriteString(`<span class="boring">` + b.String() + `</span>`)
		} else {
			_, _ = w.WriteString(b.String())
		}
	}
	_, _ = w.WriteString("</code></pre>\n")
	return ast.WalkSkipChildren, nil
}
