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
func (s *server) run(c *fiber.Ctx) error {
	// The param is unescaped here rather than app-wide so routing still
	// sees the path as sent. It is cloned because Fiber's strings point
	// into a buffer fasthttp reuses, and the service may keep the name.
	harness, err := url.PathUnescape(c.Params("harness"))
	if err != nil {
		return sandbox.Invalid("harness", "harness in the path is not validly escaped: %v", err)
	}
	harness = strings.Clone(harness)
	if err := checkUTF8([]byte(harness), "harness", "harness"); err != nil {
		return err
	}
	body, err := rawBody(c)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return sandbox.Invalid("stub", "request body is empty; send the stub as the body, e.g. curl --data-binary @main.rs")
	}
	if len(body) > s.cfg.MaxStubBytes {
		return stubTooLarge(len(body), s.cfg.MaxStubBytes)
	}
	if err := checkUTF8(body, "stub", "stub"); err != nil {
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
	return s.dispatch(c, sandbox.Request{Harness: harness, Stub: string(body), Args: args, Seed: seed})
}
