package server

import (
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// rawBody returns the request body exactly as sent. Fiber's Ctx.Body would
// inflate a compressed body with no size limit, so compressed bodies are
// refused instead.
func rawBody(c *fiber.Ctx) ([]byte, error) {
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return nil, unsupportedMedia("Content-Encoding %q is not supported; send the body uncompressed", enc)
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
		return unsupportedMedia("Content-Type %q is not supported; send application/json", ct)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return unsupportedMedia("charset %q is not supported; send UTF-8", cs)
	}
	return nil
}

// checkUTF8 refuses invalid UTF-8 in b. It must run on the raw bytes: the
// JSON decoder would silently replace invalid sequences with U+FFFD.
func checkUTF8(b []byte, field, what string) error {
	if utf8.Valid(b) {
		return nil
	}
	return sandbox.Invalid(field, "%s is not valid UTF-8 (first invalid byte at offset %d)", what, invalidUTF8At(b))
}

// invalidUTF8At returns the offset of the first byte of b that does not
// begin a valid UTF-8 sequence, or -1 if b is valid.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// stubTooLarge is the 413 for a stub over the limit.
func stubTooLarge(size, limit int) error {
	return &sandbox.Error{
		Code:     sandbox.StatusInvalidRequest,
		Field:    "stub",
		TooLarge: true,
		Message:  fmt.Sprintf("stub is %d bytes; the limit is %d", size, limit),
	}
}
