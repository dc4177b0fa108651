package server

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// The service listens on loopback by default, and a loopback service is
// reachable by every web page its operator's browser opens: a page can
// POST a job as a "simple" cross-site form (text/plain needs no
// preflight), and a page whose DNS name is rebound to 127.0.0.1 can even
// read the answers, as the same origin. Three checks close this
// (docs/security.md): the Host must be one the service answers for,
// browsers get CORS only for configured origins, and state-changing
// requests from other origins are refused.

// hostPattern is one entry of allowed_hosts: a host, and a port or any.
type hostPattern struct {
	host string // lower case; IPv6 in brackets; "*" for any host
	port string // "" for any port
}

// parseHostPattern reads "host", "host:port", "[v6]", "[v6]:port" or "*".
func parseHostPattern(s string) (hostPattern, error) {
	if s == "*" {
		return hostPattern{host: "*"}, nil
	}
	if s == "" || strings.ContainsAny(s, " /@?#") {
		return hostPattern{}, fmt.Errorf("%q is not host or host:port", s)
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return hostPattern{}, fmt.Errorf("%q: port must be 1..65535", s)
		}
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if ip := net.ParseIP(s[1 : len(s)-1]); ip == nil || ip.To4() != nil {
			return hostPattern{}, fmt.Errorf("%q is not an IPv6 address in brackets", s)
		}
	} else if strings.ContainsAny(s, ":/[]") {
		return hostPattern{}, fmt.Errorf("%q is not host or host:port (an IPv6 address goes in brackets)", s)
	}
	if host == "" {
		return hostPattern{}, fmt.Errorf("%q is not host or host:port", s)
	}
	return hostPattern{host: strings.ToLower(host), port: port}, nil
}

// loopbackHosts is what an empty allowed_hosts means to a server built in
// Go code: the loopback names, on any port.
var loopbackHosts = []string{"localhost", "127.0.0.1", "[::1]"}

// DefaultAllowedHosts is allowed_hosts for a service listening on listen
// (host:port): the listen address itself and the loopback names, on its
// port. A listen host that names no single address (0.0.0.0, ::, empty)
// adds nothing: a service on every interface names its hosts itself.
func DefaultAllowedHosts(listen string) []string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil
	}
	var out []string
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		out = append(out, net.JoinHostPort(host, port))
	}
	for _, h := range loopbackHosts {
		hp := net.JoinHostPort(strings.Trim(h, "[]"), port)
		if len(out) == 0 || out[0] != hp {
			out = append(out, hp)
		}
	}
	return out
}

// hostCheck answers for the hosts of allowed_hosts only.
type hostCheck struct {
	any      bool
	patterns []hostPattern
}

func newHostCheck(allowed []string) hostCheck {
	if len(allowed) == 0 {
		allowed = loopbackHosts
	}
	var hc hostCheck
	for _, s := range allowed {
		p, err := parseHostPattern(s)
		if err != nil {
			continue // Validate refuses it; a Go-built config just serves less
		}
		hc.any = hc.any || p.host == "*"
		hc.patterns = append(hc.patterns, p)
	}
	return hc
}

func (hc hostCheck) allows(hostHeader string) bool {
	if hc.any {
		return true
	}
	host, port := strings.ToLower(hostHeader), ""
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host, port = host[:i], host[i+1:]
	}
	if host == "" {
		return false
	}
	for _, p := range hc.patterns {
		if p.host == host && (p.port == "" || p.port == port) {
			return true
		}
	}
	return false
}

// checkOrigin accepts a web origin as browsers send it: scheme://host
// with an optional port, lower case, nothing else.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil {
		return fmt.Errorf("%q is not an origin: %w", o, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Scheme+"://"+u.Host != o || strings.ToLower(o) != o {
		return fmt.Errorf("%q is not an origin: want scheme://host or scheme://host:port in lower case, as in an Origin header", o)
	}
	return nil
}

// origins is the CORS and cross-origin policy: the allowed origins and
// net/http's CrossOriginProtection (Sec-Fetch-Site, else Origin against
// Host), which this adapter borrows rather than re-derives.
type origins struct {
	allowed map[string]bool
	protect *http.CrossOriginProtection
}

func newOrigins(allowed []string) origins {
	o := origins{allowed: map[string]bool{}, protect: http.NewCrossOriginProtection()}
	for _, s := range allowed {
		if checkOrigin(s) != nil || o.protect.AddTrustedOrigin(s) != nil {
			continue // Validate refuses it
		}
		o.allowed[s] = true
	}
	return o
}

// The CORS answer for allowed origins: what the API routes take.
const (
	corsMethods = "GET, POST"
	corsHeaders = "Content-Type, Authorization, " + HeaderRequestID
	corsMaxAge  = "600"
)

// guard is the first middleware: the Host check, CORS for allowed
// origins (and their preflights), and the refusal of cross-origin
// state-changing requests from anyone else.
func (s *server) guard(c *fiber.Ctx) error {
	host := string(c.Request().Host())
	if !s.hosts.allows(host) {
		return sandbox.Errorf(sandbox.CodeMisdirected, "", "this service does not answer for host %q; see server.allowed_hosts", host)
	}
	origin := c.Get(fiber.HeaderOrigin)
	if origin != "" {
		c.Vary(fiber.HeaderOrigin)
	}
	allowed := origin != "" && s.origins.allowed[origin]
	if origin != "" && c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != "" {
		if !allowed {
			return sandbox.Errorf(sandbox.CodeForbidden, "", "origin %q may not call this API; see server.allowed_origins", origin)
		}
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderAccessControlAllowMethods, corsMethods)
		c.Set(fiber.HeaderAccessControlAllowHeaders, corsHeaders)
		c.Set(fiber.HeaderAccessControlMaxAge, corsMaxAge)
		return c.SendStatus(fiber.StatusNoContent)
	}
	if allowed {
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderAccessControlExposeHeaders, fiber.HeaderRetryAfter+", "+HeaderRequestID)
	}
	header := http.Header{}
	for _, name := range []string{"Origin", "Sec-Fetch-Site"} {
		if v := c.Get(name); v != "" {
			header.Set(name, v)
		}
	}
	if err := s.origins.protect.Check(&http.Request{Method: c.Method(), Host: host, Header: header}); err != nil {
		return &sandbox.Error{Code: sandbox.CodeForbidden, Err: err,
			Message: fmt.Sprintf("a cross-origin %s from %q is refused; see server.allowed_origins", c.Method(), origin)}
	}
	return c.Next()
}
