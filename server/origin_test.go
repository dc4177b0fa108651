package server

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const okBody = `{"harness":"hello","stub":"fn main() {}"}`

// Issue 14, item 7: only the configured hosts are served. A page whose
// DNS name was rebound to the service's address still sends its own
// name as Host, and is refused before anything runs.
func TestHostsNotServedAre421(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{AllowedHosts: []string{"127.0.0.1:8080", "localhost:8080", "docs.example.org"}})
	for _, host := range []string{"127.0.0.1:8080", "LOCALHOST:8080", "docs.example.org", "docs.example.org:443"} {
		r := do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), fiber.HeaderHost, host, fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		assert.Equal(t, fiber.StatusOK, r.code, "%s: %s", host, r.body)
	}
	for _, host := range []string{"attacker.example:8080", "127.0.0.1:9090", "localhost", "127.0.0.1.attacker.example:8080", ""} {
		for _, target := range []string{"/api/v1/execute", "/api/v1/harnesses", "/healthz"} {
			method := fiber.MethodGet
			if target == "/api/v1/execute" {
				method = fiber.MethodPost
			}
			r := do(t, app, method, target, []byte(okBody), fiber.HeaderHost, host, fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			p := assertProblem(t, r, fiber.StatusMisdirectedRequest, StatusInvalidRequest, "")
			assert.Contains(t, p.Message, "allowed_hosts", host)
		}
	}
	assert.Equal(t, 4, svc.callCount(), "a refused host never reaches the service")
}

// With no hosts configured (a server built in Go code), the loopback
// names are served on any port; "*" serves every host.
func TestDefaultAndWildcardHosts(t *testing.T) {
	app, _ := testApp(t, &fakeService{}, Config{})
	for host, code := range map[string]int{"localhost": 200, "127.0.0.1:1234": 200, "[::1]:80": 200, "example.com": 421} {
		assert.Equal(t, code, do(t, app, fiber.MethodGet, "/healthz", nil, fiber.HeaderHost, host).code, host)
	}
	app, _ = testApp(t, &fakeService{}, Config{AllowedHosts: []string{"*"}})
	assert.Equal(t, 200, do(t, app, fiber.MethodGet, "/healthz", nil, fiber.HeaderHost, "example.com").code)
}

func TestDefaultAllowedHosts(t *testing.T) {
	assert.Equal(t, []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080"}, DefaultAllowedHosts("127.0.0.1:8080"))
	assert.Equal(t, []string{"sandbox.internal:80", "localhost:80", "127.0.0.1:80", "[::1]:80"}, DefaultAllowedHosts("sandbox.internal:80"))
	assert.Equal(t, []string{"localhost:8080", "127.0.0.1:8080", "[::1]:8080"}, DefaultAllowedHosts("0.0.0.0:8080"),
		"every interface names no host of its own")
	for _, h := range DefaultAllowedHosts("[::1]:9000") {
		_, err := parseHostPattern(h)
		assert.NoError(t, err, h)
	}
}

// An allowed origin gets CORS headers and its preflight answered; any
// other origin gets neither, and its POST, the simple cross-site form
// post of a hostile page included, is refused.
func TestCORSOnlyForAllowedOrigins(t *testing.T) {
	const allowed, other = "https://docs.example.org", "https://attacker.example"
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{AllowedOrigins: []string{allowed}})

	r := do(t, app, fiber.MethodOptions, "/api/v1/execute", nil, fiber.HeaderOrigin, allowed,
		fiber.HeaderAccessControlRequestMethod, "POST", fiber.HeaderAccessControlRequestHeaders, "content-type")
	assert.Equal(t, fiber.StatusNoContent, r.code)
	assert.Equal(t, allowed, r.header.Get(fiber.HeaderAccessControlAllowOrigin))
	assert.Equal(t, corsMethods, r.header.Get(fiber.HeaderAccessControlAllowMethods))
	assert.Equal(t, corsHeaders, r.header.Get(fiber.HeaderAccessControlAllowHeaders))

	r = do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), fiber.HeaderOrigin, allowed,
		"Sec-Fetch-Site", "cross-site", fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	assert.Equal(t, fiber.StatusOK, r.code, "%s", r.body)
	assert.Equal(t, allowed, r.header.Get(fiber.HeaderAccessControlAllowOrigin))
	assert.Contains(t, r.header.Get(fiber.HeaderVary), "Origin")

	r = do(t, app, fiber.MethodOptions, "/api/v1/execute", nil, fiber.HeaderOrigin, other, fiber.HeaderAccessControlRequestMethod, "POST")
	assertProblem(t, r, fiber.StatusForbidden, StatusInvalidRequest, "")
	assert.Empty(t, r.header.Get(fiber.HeaderAccessControlAllowOrigin))
	assert.Empty(t, r.header.Get(fiber.HeaderAccessControlAllowMethods))

	for name, headers := range map[string][]string{
		"form post, modern browser": {fiber.HeaderOrigin, other, "Sec-Fetch-Site", "cross-site", fiber.HeaderContentType, fiber.MIMEApplicationForm},
		"text/plain, old browser":   {fiber.HeaderOrigin, other, fiber.HeaderContentType, fiber.MIMETextPlain},
		"same-site subdomain":       {fiber.HeaderOrigin, "https://evil.docs.example.org", "Sec-Fetch-Site", "same-site"},
		"sandboxed iframe":          {fiber.HeaderOrigin, "null", fiber.HeaderContentType, fiber.MIMETextPlain},
	} {
		t.Run(name, func(t *testing.T) {
			r := do(t, app, fiber.MethodPost, "/api/v1/run/hello", []byte("fn main() {}"), headers...)
			p := assertProblem(t, r, fiber.StatusForbidden, StatusInvalidRequest, "")
			assert.Contains(t, p.Message, "cross-origin POST")
			assert.Empty(t, r.header.Get(fiber.HeaderAccessControlAllowOrigin))
		})
	}

	r = do(t, app, fiber.MethodGet, "/api/v1/harnesses", nil, fiber.HeaderOrigin, other)
	assert.Equal(t, fiber.StatusOK, r.code, "a GET changes nothing")
	assert.Empty(t, r.header.Get(fiber.HeaderAccessControlAllowOrigin), "but its answer is not shared with the page")

	r = do(t, app, fiber.MethodPost, "/api/v1/run/hello", []byte("fn main() {}"), fiber.HeaderOrigin, "http://localhost", "Sec-Fetch-Site", "same-origin")
	assert.Equal(t, fiber.StatusOK, r.code, "the service's own origin")
	r = do(t, app, fiber.MethodPost, "/api/v1/run/hello", []byte("fn main() {}"), fiber.HeaderContentType, fiber.MIMETextPlain)
	assert.Equal(t, fiber.StatusOK, r.code, "curl sends no Origin")
	require.Equal(t, 3, svc.callCount(), "only the allowed, same-origin and non-browser POSTs ran")
}
