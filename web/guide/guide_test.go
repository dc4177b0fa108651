package guide

import (
	"html"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const book = "../testdata/book"

func TestLoadFollowsSummary(t *testing.T) {
	b, err := Load(book)
	require.NoError(t, err)
	require.Len(t, b.Chapters, 2, "SUMMARY.md's chapters, README.md not among them")
	hello, attrs := b.Chapters[0], b.Chapters[1]
	assert.Equal(t, "hello", hello.Slug, "the leading number is dropped")
	assert.Equal(t, "Hello, guide", hello.Title)
	assert.Equal(t, `a first "runnable" chapter`, hello.Summary)
	assert.Equal(t, 1, hello.Blocks, "sh and unlabelled fences are not Rust")
	assert.Equal(t, "attributes", attrs.Slug)
	assert.Equal(t, 2, attrs.Blocks, "rust,no_run and should_panic are Rust; text is not")
	i, ok := b.Chapter("attributes")
	assert.True(t, ok)
	assert.Equal(t, 1, i)
	_, ok = b.Chapter("nope")
	assert.False(t, ok)
}

// The text of a runnable block's code element is the block exactly as
// written, which is what Run sends; hidden lines are spans the page
// hides, and what rustdoc strips from a line is a span never shown.
func TestRustBlocksKeepTheirSource(t *testing.T) {
	b, err := Load(book)
	require.NoError(t, err)
	body := string(b.Chapters[0].Body)
	m := regexp.MustCompile(`(?s)<pre class="runnable" data-attrs="rust"><code class="language-rust">(.*?)</code></pre>`).FindStringSubmatch(body)
	require.NotNil(t, m, "%s", body)
	text := html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], ""))
	src, err := os.ReadFile(book + "/01-hello.md")
	require.NoError(t, err)
	assert.Contains(t, string(src), "```rust\n"+text+"```", "the code's text is the block")

	assert.Contains(t, m[1], `<span class="boring"><span class="cut"># </span>fn hidden() {}`+"\n</span>")
	assert.Contains(t, m[1], `<span class="boring"><span class="cut">    # </span>let indented = 1;`+"\n</span>")
	assert.Contains(t, m[1], `<span class="boring"><span class="cut">#</span>`+"\n</span>", "a lone # is an empty hidden line")
	assert.Contains(t, m[1], `<span class="cut">#</span>#[derive(Debug)]`+"\n", "## is shown with one # fewer, not hidden")
	assert.Contains(t, m[1], `let a = 1 &lt; 2 &amp;&amp; &#34;&lt;b&gt;&#34; != &#34;&#34;;`, "code is escaped")
	assert.NotContains(t, m[1], `<span class="boring">struct`)

	attrs := string(b.Chapters[1].Body)
	assert.Contains(t, attrs, `<pre class="runnable" data-attrs="rust,no_run">`)
	assert.Contains(t, attrs, `<pre class="runnable" data-attrs="should_panic">`)
	assert.Contains(t, attrs, `<pre><code class="language-text">not rust`)
	assert.Contains(t, body, `<pre><code class="language-sh">cargo run`)
}

func TestLinksAndRawHTML(t *testing.T) {
	b, err := Load(book)
	require.NoError(t, err)
	body := string(b.Chapters[0].Body)
	assert.Contains(t, body, `href="../attributes/#no-run"`, "a link to a chapter's file goes to its page")
	assert.Contains(t, body, `href="https://api.rocket.rs/v0.5/rocket/struct.Rocket.html"`, "Rocket's @api shorthand")
	assert.NotContains(t, body, "<script", "raw HTML is dropped")
	assert.Contains(t, string(b.Chapters[1].Body), `<h2 id="no-run">`, "headings have ids to link to")
}

func TestLoadWithoutSummaryTakesEveryChapterByName(t *testing.T) {
	fsys := fstest.MapFS{
		"README.md":     {Data: []byte("# not a chapter\n")},
		"2-second.md":   {Data: []byte("# Second\n")},
		"1-first.md":    {Data: []byte("no heading\n")},
		"notes.txt":     {Data: []byte("x")},
		"sub/nested.md": {Data: []byte("# Nested\n")},
	}
	b, err := load(fsys, "mem")
	require.NoError(t, err)
	var slugs []string
	for _, c := range b.Chapters {
		slugs = append(slugs, c.Slug+":"+c.Title)
	}
	assert.Equal(t, []string{"first:first", "second:Second"}, slugs, "a chapter without a heading is titled by its slug")
}

func TestLoadRefuses(t *testing.T) {
	_, err := Load("testdata/does-not-exist")
	assert.Error(t, err)
	_, err = load(fstest.MapFS{"README.md": {Data: []byte("x")}}, "mem")
	assert.ErrorContains(t, err, "no Markdown chapters")
	_, err = load(fstest.MapFS{"1-a.md": {Data: []byte("x")}, "2-a.md": {Data: []byte("y")}}, "mem")
	assert.ErrorContains(t, err, "would both be /guide/a/")
}

// Rocket's own guide, where the project keeps it beside the clone: every
// chapter loads and every ```rust block is runnable (README.md there
// counts them).
func TestRocketGuide(t *testing.T) {
	b, err := Load("../../../shared/rocket-guide")
	require.NoError(t, err)
	var slugs []string
	blocks := 0
	for _, c := range b.Chapters {
		slugs = append(slugs, c.Slug)
		blocks += c.Blocks
		assert.Equal(t, strings.Count(string(c.Body), `<pre class="runnable"`), c.Blocks)
	}
	assert.Equal(t, []string{"getting-started", "overview", "requests", "responses"}, slugs)
	assert.Equal(t, 1+7+67+30, blocks)
}

func TestCheck(t *testing.T) {
	assert.NoError(t, Check(book))
	assert.ErrorContains(t, Check("testdata/does-not-exist"), "guide testdata/does-not-exist")
	assert.ErrorContains(t, Check("."), "no Markdown chapters")
}
