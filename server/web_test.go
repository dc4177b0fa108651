package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The server serves the playground beside the API: the page as HTML under
// the page's CSP, and the script it names as JavaScript.
func TestServesPlayground(t *testing.T) {
	app := New(Config{}, &fakeService{}, nil)

	// A host the default configuration answers for (allowed_hosts).
	resp, err := app.Test(httptest.NewRequest(http.MethodGet, "http://localhost/", nil), -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get(fiber.HeaderContentType))
	csp := resp.Header.Get(fiber.HeaderContentSecurityPolicy)
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "script-src 'self';")
	assert.Equal(t, "nosniff", resp.Header.Get(fiber.HeaderXContentTypeOptions))
	page, err := io.ReadAll(resp.Body)
	require.NoError(t, err)

	m := regexp.MustCompile(`<script[^>]*\ssrc="([^"]+)"`).FindSubmatch(page)
	require.NotNil(t, m, "the page names its script")
	js, err := app.Test(httptest.NewRequest(http.MethodGet, "http://localhost"+string(m[1]), nil), -1)
	require.NoError(t, err)
	defer js.Body.Close()
	require.Equal(t, http.StatusOK, js.StatusCode)
	assert.Regexp(t, `^(text|application)/javascript\b`, js.Header.Get(fiber.HeaderContentType))

	// The API's conventions hold around it: an unknown route is still the
	// JSON problem, and the page is not answered for POST.
	r := do(t, app, http.MethodGet, "/nope", nil)
	assertProblem(t, r, fiber.StatusNotFound, StatusInvalidRequest, "")
	r = do(t, app, http.MethodPost, "/", nil)
	assertProblem(t, r, fiber.StatusMethodNotAllowed, StatusInvalidRequest, "")
}
