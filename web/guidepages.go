package web

import (
	"bytes"
	"embed"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/web/guide"
)

//go:embed templates/guide.html
var templates embed.FS

var guideTemplate = template.Must(template.ParseFS(templates, "templates/guide.html"))

// guidePages serves /guide/: the index and one page per chapter, each
// rendered once, when the service starts.
type guidePages struct {
	home     []byte            // the index, or the page saying why there is no guide
	status   int               // of index_: 200, or 404 when there is no guide
	chapters map[string][]byte // by slug
}

// guideView is what the page template reads.
type guideView struct {
	Bundle     bundle
	Book       []guide.Chapter
	Index      int // of Chapter in Book; -1 for none
	Chapter    *guide.Chapter
	Prev, Next *guide.Chapter
	Problem    string
}

func newGuidePages(dir string) *guidePages {
	g := &guidePages{status: fiber.StatusOK, chapters: map[string][]byte{}}
	view := guideView{Bundle: pages["guide"], Index: -1}
	var book *guide.Book
	var err error
	if dir == "" {
		view.Problem = "This service serves no guide."
	} else if book, err = guide.Load(dir); err != nil {
		// A service without its guide still serves the playground and
		// the API; the page says what is missing.
		view.Problem = "The guide could not be loaded: " + err.Error()
	}
	if view.Problem != "" {
		g.status = fiber.StatusNotFound
		g.home = renderGuide(view)
		return g
	}
	view.Book = book.Chapters
	g.home = renderGuide(view)
	for i := range book.Chapters {
		v := view
		v.Index, v.Chapter = i, &book.Chapters[i]
		if i > 0 {
			v.Prev = &book.Chapters[i-1]
		}
		if i+1 < len(book.Chapters) {
			v.Next = &book.Chapters[i+1]
		}
		g.chapters[book.Chapters[i].Slug] = renderGuide(v)
	}
	return g
}

func renderGuide(v guideView) []byte {
	var b bytes.Buffer
	if err := guideTemplate.Execute(&b, v); err != nil {
		// The template and its data are this package's: a failure is a
		// bug, found by the first test that loads a guide.
		panic("web: guide template: " + err.Error())
	}
	return b.Bytes()
}

func (g *guidePages) index(c *fiber.Ctx) error {
	if !strings.HasSuffix(c.Path(), "/") {
		return c.Redirect(routeGuide, fiber.StatusMovedPermanently)
	}
	return sendGuide(c, g.status, g.home)
}

func (g *guidePages) chapter(c *fiber.Ctx) error {
	slug := c.Params("slug")
	body, ok := g.chapters[slug]
	if !ok {
		return fiber.ErrNotFound
	}
	// Chapters link to each other relatively ("../requests/"), which
	// works from the page's own URL with its slash only.
	if !strings.HasSuffix(c.Path(), "/") {
		return c.Redirect("/guide/"+slug+"/", fiber.StatusMovedPermanently)
	}
	return sendGuide(c, fiber.StatusOK, body)
}

// sendGuide answers with a guide page: it has no inline style or script,
// so the policy is the assets' one, without a nonce.
func sendGuide(c *fiber.Ctx, status int, body []byte) error {
	securityHeaders(c, "")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, contentTypes[".html"])
	return c.Status(status).Send(body)
}
