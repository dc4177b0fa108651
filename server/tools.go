package server

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// format serves POST /api/v1/format: {"stub": "...", "edition": "2021"}
// → the formatted stub, or rustfmt's message (both 200).
func (s *server) format(c *fiber.Ctx) error {
	req, err := readFormat(c)
	if err != nil {
		return err
	}
	req.Client = clientOf(c)
	resp, err := callService(s, c, func(ctx context.Context) (sandbox.FormatResponse, error) { return s.svc.Format(ctx, req) })
	if errors.Is(err, errClientGone) {
		return s.clientGone(c)
	}
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, resp)
}

// readFormat reads a format body: one object of stub and edition.
func readFormat(c *fiber.Ctx) (sandbox.FormatRequest, error) {
	members, err := readMembers(c)
	if err != nil {
		return sandbox.FormatRequest{}, err
	}
	var req sandbox.FormatRequest
	for _, m := range members {
		switch m.name {
		case "stub":
			err = decodeString(m.value, m.name, &req.Stub)
		case "edition":
			err = decodeString(m.value, m.name, &req.Edition)
		default:
			err = sandbox.Invalid(m.name, "unknown field %q; the fields are stub and edition", m.name)
		}
		if err != nil {
			return sandbox.FormatRequest{}, err
		}
	}
	return req, nil
}

// clippy serves POST /api/v1/clippy: an execute body → the compile
// section with Clippy's lints.
func (s *server) clippy(c *fiber.Ctx) error {
	req, err := readExecute(c)
	if err != nil {
		return err
	}
	req.Client = clientOf(c)
	resp, err := callService(s, c, func(ctx context.Context) (sandbox.ClippyResponse, error) { return s.svc.Clippy(ctx, req) })
	if errors.Is(err, errClientGone) {
		return s.clientGone(c)
	}
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, resp)
}
