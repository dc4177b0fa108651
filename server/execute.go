package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// executeWire is the wire form of POST /api/v1/execute. Decoding checks
// only the wire: one JSON object, known fields, each of its JSON type;
// the service checks the request itself.
type executeWire struct {
	Harness string            `json:"harness"`
	Stub    string            `json:"stub"`
	Files   map[string][]byte `json:"files,omitempty"`
	Args    json.RawMessage   `json:"args,omitempty"`
	Seed    *uint64           `json:"seed,omitempty"`
	Limits  sandbox.Limits    `json:"limits,omitempty"`
	Session string            `json:"session,omitempty"`
}

// emptyArgs is what absent or null args mean.
var emptyArgs = json.RawMessage(`{}`)

func (s *server) execute(c *fiber.Ctx) error {
	if err := requireJSON(c); err != nil {
		return err
	}
	body, err := rawBody(c)
	if err != nil {
		return err
	}
	key := wireOf(routeExecute, body)
	if done, err := s.recalled(c, key); done {
		return err
	}
	req, err := parseExecute(body)
	if err != nil {
		return err
	}
	return s.dispatch(c, key, req)
}

// readExecute reads an execute body (execute, the streaming route,
// clippy): JSON, uncompressed, one object of the known fields.
func readExecute(c *fiber.Ctx) (sandbox.Request, error) {
	if err := requireJSON(c); err != nil {
		return sandbox.Request{}, err
	}
	body, err := rawBody(c)
	if err != nil {
		return sandbox.Request{}, err
	}
	return parseExecute(body)
}

// readMembers reads a JSON body (uncompressed, UTF-8) as one object's
// members: the start of every route whose body is one JSON object.
func readMembers(c *fiber.Ctx) ([]member, error) {
	if err := requireJSON(c); err != nil {
		return nil, err
	}
	body, err := rawBody(c)
	if err != nil {
		return nil, err
	}
	if err := sandbox.CheckUTF8(body, "", "request body"); err != nil {
		return nil, err
	}
	return readObject(body)
}

// parseExecute decodes an execute body. Every error it returns is a
// *sandbox.Error naming the offending field where there is one.
func parseExecute(body []byte) (sandbox.Request, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return sandbox.Request{}, sandbox.Invalid("", "request body is empty; send a JSON object")
	}
	if err := sandbox.CheckUTF8(body, "", "request body"); err != nil {
		return sandbox.Request{}, err
	}
	members, ok := scanObject(body)
	if !ok {
		// Not one well-formed object: the decoder says what is wrong.
		var err error
		if members, err = readObject(body); err != nil {
			return sandbox.Request{}, err
		}
	}
	var w executeWire
	for _, m := range members {
		if err := w.set(m.name, m.value); err != nil {
			return sandbox.Request{}, err
		}
	}
	args := w.Args
	if args == nil {
		args = emptyArgs
	}
	return sandbox.Request{Harness: w.Harness, Stub: w.Stub, Files: w.Files, Args: args, Seed: w.Seed, Limits: w.Limits, Session: w.Session}, nil
}

// member is one name/value pair of a JSON object, value still raw.
type member struct {
	name  string
	value json.RawMessage
}

// readObject reads body as exactly one JSON object and returns its members
// in order. It refuses duplicate names, which encoding/json would resolve
// silently by keeping the last, and anything after the object.
func readObject(body []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(body, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, sandbox.Invalid("", "request body must be a JSON object, not %s", describeToken(tok))
	}
	var members []member
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(body, err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, sandbox.Invalid("", "malformed JSON near byte offset %d: expected a field name", dec.InputOffset())
		}
		if seen[name] {
			return nil, sandbox.Invalid(name, "field %q appears more than once", name)
		}
		seen[name] = true
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, syntaxError(body, err)
		}
		members = append(members, member{name: name, value: bytes.TrimSpace(value)})
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxError(body, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, sandbox.Invalid("", "unexpected data after the JSON object at byte offset %d", dec.InputOffset())
	}
	return members, nil
}

// scanObject is readObject's fast path for a body that is one
// well-formed JSON object (json.Valid, then one pass over the top-level
// members, skipping their values), the common case; ok is false
// otherwise, and readObject, which says what is wrong, decides. A name
// that appears twice is also left to readObject, as is a name with
// escapes (which only it decodes).
func scanObject(body []byte) ([]member, bool) {
	if !json.Valid(body) {
		return nil, false
	}
	return scanValidObject(body)
}

// scanValidObject is scanObject for a value known to be valid JSON (a
// member of a body that was checked), so a nested object is not
// validated again.
func scanValidObject(body []byte) ([]member, bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	var members []member
	for i = skipSpace(body, i+1); i < len(body) && body[i] != '}'; {
		if body[i] == ',' {
			i = skipSpace(body, i+1)
		}
		end := skipValue(body, i) // the name, a string
		raw := body[i+1 : end-1]
		if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
			return nil, false
		}
		name := string(raw)
		for _, m := range members {
			if m.name == name {
				return nil, false
			}
		}
		i = skipSpace(body, end)
		i = skipSpace(body, i+1) // the colon
		end = skipValue(body, i)
		members = append(members, member{name: name, value: json.RawMessage(body[i:end])})
		i = skipSpace(body, end)
	}
	return members, true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i], in a
// document known to be valid.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			for i++; b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of a scalar
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// syntaxError describes a JSON decoding failure with its position.
func syntaxError(body []byte, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		line, col := position(body, se.Offset)
		return &sandbox.Error{
			Code:    sandbox.CodeInvalid,
			Message: fmt.Sprintf("malformed JSON near line %d, column %d (byte offset %d): %s", line, col, se.Offset, se.Error()),
			Err:     err,
		}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &sandbox.Error{
			Code:    sandbox.CodeInvalid,
			Message: fmt.Sprintf("malformed JSON: the body ends before the object does (byte offset %d)", len(body)),
			Err:     err,
		}
	default:
		return &sandbox.Error{Code: sandbox.CodeInvalid, Message: "malformed JSON: " + err.Error(), Err: err}
	}
}

// position turns a byte offset into a 1-based line and column (in bytes).
func position(body []byte, offset int64) (line, col int) {
	if offset > int64(len(body)) {
		offset = int64(len(body))
	}
	before := body[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

// set stores one member, checking its JSON type.
func (w *executeWire) set(name string, raw json.RawMessage) error {
	switch name {
	case "harness":
		return decodeString(raw, name, &w.Harness)
	case "stub":
		return decodeString(raw, name, &w.Stub)
	case "files":
		return decodeFiles(raw, name, &w.Files)
	case "args":
		switch kind(raw) {
		case "null":
			w.Args = nil
		case "an object":
			w.Args = raw
		default:
			return sandbox.Invalid(name, "args must be a JSON object, not %s", kind(raw))
		}
		return nil
	case "limits":
		return decodeLimits(raw, &w.Limits)
	case "session":
		if kind(raw) == "null" {
			w.Session = ""
			return nil
		}
		return decodeString(raw, name, &w.Session)
	case "seed":
		if kind(raw) == "null" {
			w.Seed = nil
			return nil
		}
		var seed uint64
		if kind(raw) != "a number" || json.Unmarshal(raw, &seed) != nil {
			return sandbox.Invalid(name, "seed must be an integer from 0 to 18446744073709551615, not %s", describe(raw))
		}
		w.Seed = &seed
		return nil
	default:
		return sandbox.Invalid(name, "unknown field %q; the fields are harness, stub, files, args, seed, limits and session", name)
	}
}

// decodeLimits reads the limits object: known keys, each a whole number
// (the service checks each against its bounds).
func decodeLimits(raw json.RawMessage, dst *sandbox.Limits) error {
	switch kind(raw) {
	case "null":
		return nil
	case "an object":
	default:
		return sandbox.Invalid("limits", "limits must be a JSON object, not %s", kind(raw))
	}
	members, err := readObject(raw)
	if err != nil {
		if e, ok := sandbox.AsError(err); ok && e.Field != "" {
			e.Field = "limits." + e.Field
		}
		return err
	}
	byKey := map[string]*int64{}
	var keys []string
	for _, f := range dst.Fields() {
		byKey[f.Key], keys = f.Value, append(keys, f.Key)
	}
	for _, m := range members {
		field := "limits." + m.name
		v, ok := byKey[m.name]
		if !ok {
			return sandbox.Invalid(field, "unknown limit %q; the limits are %s", m.name, strings.Join(keys, ", "))
		}
		if kind(m.value) != "a number" || json.Unmarshal(m.value, v) != nil {
			return sandbox.Invalid(field, "%s must be a whole number, not %s", field, describe(m.value))
		}
	}
	return nil
}

func decodeString(raw json.RawMessage, name string, dst *string) error {
	if kind(raw) != "a string" {
		return sandbox.Invalid(name, "%s must be a string, not %s", name, kind(raw))
	}
	if inner := raw[1 : len(raw)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		// Nothing to unescape (the body is valid JSON: no control
		// characters either).
		*dst = string(inner)
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return sandbox.Invalid(name, "%s is not a valid JSON string", name)
	}
	return nil
}

// kind names the JSON type of a raw, already valid, value.
func kind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// describe is kind, plus the literal for numbers (short ones), so that
// "-1" or "1.5" is visible in the message.
func describe(raw json.RawMessage) string {
	if kind(raw) == "a number" && len(raw) <= 40 {
		return "the number " + string(raw)
	}
	return kind(raw)
}

// describeToken names what a JSON body starts with, for a non-object body.
func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	case nil:
		return "null"
	}
	return strings.TrimSpace(fmt.Sprint(tok))
}
