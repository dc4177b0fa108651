package server

import (
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// rawBody returns the request body exactly as sent. Fiber's Ctx.Body would
// inflate a compressed body with no size limit, so compressed bodies are
// refused instead.
func rawBody(c *fiber.Ctx) ([]byte, error) {
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return nil, sandbox.Errorf(sandbox.CodeUnsupported, "", "Content-Encoding %q is not supported; send the body uncompressed", enc)
	}
	return c.Request().Body(), nil
}

// requireJSON refuses a Content-Type other than application/json (charset,
// if given, must be UTF-8). A missing Content-Type is accepted.
func requireJSON(c *fiber.Ctx) error {
	ct := c.Get(fiber.HeaderContentType)
	if ct == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return sandbox.Errorf(sandbox.CodeUnsupported, "", "Content-Type %q is not supported; send application/json", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return sandbox.Errorf(sandbox.CodeUnsupported, "", "charset %q is not supported; send UTF-8", cs)
	}
	return nil
}
