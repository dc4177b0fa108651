package server

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// run serves POST /api/v1/run/:harness, the curl-friendly form: the body is
// the stub itself, whatever its Content-Type (curl --data-binary sends a
// form type), and the query string is the args object (see argsFromQuery).
// Only the wire is checked here: the path and the query must decode to
// text; the service checks the request (a stub, within its limit, UTF-8).
func (s *server) run(c *fiber.Ctx) error {
	// The param is unescaped here rather than app-wide so routing still
	// sees the path as sent. It is cloned because Fiber's strings point
	// into a buffer fasthttp reuses, and the service may keep the name.
	harness, err := url.PathUnescape(c.Params("harness"))
	if err != nil {
		return sandbox.Invalid("harness", "harness in the path is not validly escaped: %v", err)
	}
	harness = strings.Clone(harness)
	if err := sandbox.CheckUTF8([]byte(harness), "harness", "harness"); err != nil {
		return err
	}
	body, err := rawBody(c)
	if err != nil {
		return err
	}
	// The harness as sent (escaped), the query and the body are all
	// the route reads.
	key := wireOf(routeRun, []byte(c.Params("harness")), c.Request().URI().QueryString(), body)
	if done, err := s.recalled(c, key); done {
		return err
	}
	var pairs []queryPair
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		pairs = append(pairs, queryPair{Key: string(k), Value: string(v)})
	})
	args, seed, err := argsFromQuery(pairs)
	if err != nil {
		return err
	}
	return s.dispatch(c, key, sandbox.Request{Harness: harness, Stub: string(body), Args: args, Seed: seed})
}
