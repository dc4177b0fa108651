package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/openapi"
)

// serveContract registers /openapi.json (the contract, encoded once) and
// the page that renders it, /docs, with its embedded assets.
func (s *server) serveContract(app *fiber.App) error {
	doc, err := Contract(s.svc.Harnesses())
	if err != nil {
		return err
	}
	body, err := doc.JSON()
	if err != nil {
		return err
	}
	s.handle(app, fiber.MethodGet, routeOpenAPI, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.Send(body)
	})
	s.handle(app, fiber.MethodGet, routeDocs, func(c *fiber.Ctx) error {
		return sendDocs(c, openapi.DocsPage())
	})
	s.handle(app, fiber.MethodGet, routeDocsAsset, func(c *fiber.Ctx) error {
		a, ok := openapi.DocsAssetNamed(c.Params("asset"))
		if !ok {
			return fiber.ErrNotFound
		}
		return sendDocs(c, a)
	})
	return nil
}

func sendDocs(c *fiber.Ctx, a openapi.DocsAsset) error {
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderContentSecurityPolicy, openapi.DocsPolicy)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(a.Body)
}
