package server

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// shareCreated is the answer to POST /api/v1/shares.
type shareCreated struct {
	// ID is the state's content hash, base64url.
	ID string `json:"id"`
	// URL is the playground page that opens the state (served by web).
	URL string `json:"url"`
}

// sharedBody is the body of POST /api/v1/shares and the answer to
// GET /api/v1/shares/{id}.
type sharedBody struct {
	State json.RawMessage `json:"state"`
}

// share serves POST /api/v1/shares: {"state": {harness, stub, args,
// seed}}, the state read as strictly as an execute body.
func (s *server) share(c *fiber.Ctx) error {
	members, err := readMembers(c)
	if err != nil {
		return err
	}
	state, err := parseShare(members)
	if err != nil {
		return err
	}
	id, err := s.svc.Share(state)
	if err != nil {
		return underState(err)
	}
	c.Set(fiber.HeaderLocation, routeShares+"/"+id)
	return writeJSON(c, fiber.StatusCreated, shareCreated{ID: id, URL: "/s/" + id})
}

// parseShare reads a share body's members: one object whose only field, state, is
// an object of execute's fields. Errors name the field under state.
func parseShare(members []member) (sandbox.Request, error) {
	var state json.RawMessage
	for _, m := range members {
		if m.name != "state" {
			return sandbox.Request{}, sandbox.Invalid(m.name, "unknown field %q; the only field is state", m.name)
		}
		if kind(m.value) != "an object" {
			return sandbox.Request{}, sandbox.Invalid("state", "state must be a JSON object, not %s", kind(m.value))
		}
		state = m.value
	}
	if state == nil {
		return sandbox.Request{}, sandbox.Invalid("state", "state is required")
	}
	req, err := parseExecute(state)
	return req, underState(err)
}

// underState names a refused state's field as a field of state.
func underState(err error) error {
	if se, ok := sandbox.AsError(err); ok && se.Field != "state" && !strings.HasPrefix(se.Field, "state.") {
		se.Field = strings.TrimSuffix("state."+se.Field, ".")
	}
	return err
}

// shared serves GET /api/v1/shares/{id}.
func (s *server) shared(c *fiber.Ctx) error {
	id, err := url.PathUnescape(c.Params("id"))
	if err != nil {
		return sandbox.Invalid("id", "the id in the path is not validly escaped: %v", err)
	}
	state, err := s.svc.Shared(strings.Clone(id))
	if err != nil {
		return err
	}
	return writeJSON(c, fiber.StatusOK, sharedBody{State: state})
}
