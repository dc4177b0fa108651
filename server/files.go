package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// decodeFiles reads files: an object of path → content (decodeFile), or
// null. Duplicate paths are refused like duplicate fields.
func decodeFiles(raw json.RawMessage, name string, dst *map[string][]byte) error {
	switch kind(raw) {
	case "null":
		*dst = nil
		return nil
	case "an object":
	default:
		return sandbox.Invalid(name, "files must be an object of path → content (a string, or {\"content\": \"<base64>\", \"encoding\": \"base64\"}), not %s", kind(raw))
	}
	members, err := objectMembers(raw)
	if err != nil {
		return err
	}
	files := make(map[string][]byte, len(members))
	for _, m := range members {
		content, err := decodeFile(m.value, fmt.Sprintf("files[%q]", m.name))
		if err != nil {
			return err
		}
		files[m.name] = content
	}
	*dst = files
	return nil
}

// objectMembers reads the members of an object value of a decoded body
// (valid JSON, whichever way the body was read): without copying them
// or validating again (scanValidObject), else, for a duplicate or an
// escaped name, as readObject says.
func objectMembers(raw json.RawMessage) ([]member, error) {
	if members, ok := scanValidObject(raw); ok {
		return members, nil
	}
	return readObject(raw)
}

// decodeFile reads one file's content: a JSON string is its UTF-8 text;
// an object {"content": "<base64>", "encoding": "base64"} is its bytes,
// in standard padded base64 (RFC 4648 §4, as the response's body with
// body_encoding base64), decoded strictly: both keys, no other, no other
// encoding, no character outside the alphabet (line breaks either), no
// stray bits in the padding. Either way the content is the bytes the
// file holds; how they were sent is not part of them (the memo key, the
// seed and a share are the same for the same bytes).
func decodeFile(raw json.RawMessage, field string) ([]byte, error) {
	switch kind(raw) {
	case "a string":
		return unquote(raw[1 : len(raw)-1]), nil
	case "an object":
	default:
		return nil, sandbox.Invalid(field, "%s must be a string (UTF-8 text) or {\"content\": \"<base64>\", \"encoding\": \"base64\"} (bytes), not %s", field, kind(raw))
	}
	members, err := objectMembers(raw)
	if err != nil {
		if e, ok := sandbox.AsError(err); ok {
			e.Field = field
		}
		return nil, err
	}
	var content json.RawMessage
	encoding := ""
	for _, m := range members {
		switch m.name {
		case "content":
			if kind(m.value) != "a string" {
				return nil, sandbox.Invalid(field, "%s.content must be a string of base64, not %s", field, kind(m.value))
			}
			content = m.value
		case "encoding":
			if kind(m.value) != "a string" || decodeString(m.value, field, &encoding) != nil || encoding != sandbox.FileEncodingBase64 {
				return nil, sandbox.Invalid(field, "%s.encoding must be %q (the only encoding of a file's bytes), not %s", field, sandbox.FileEncodingBase64, describe(m.value))
			}
		default:
			return nil, sandbox.Invalid(field, "unknown field %q in %s; a file's bytes are {\"content\": \"<base64>\", \"encoding\": \"base64\"}", m.name, field)
		}
	}
	switch {
	case content == nil:
		return nil, sandbox.Invalid(field, "%s.content is required: the file's bytes in base64", field)
	case encoding == "":
		return nil, sandbox.Invalid(field, "%s.encoding is required: \"base64\"", field)
	}
	return decodeBase64(content, field)
}

// decodeBase64 decodes a JSON string of standard padded base64 into a
// buffer allocated once, at its decoded size: straight from the body's
// bytes unless the string has escapes (base64 needs none; "\/" is the
// one a JSON encoder may write).
func decodeBase64(raw json.RawMessage, field string) ([]byte, error) {
	text := []byte(raw[1 : len(raw)-1])
	if bytes.IndexByte(text, '\\') >= 0 {
		text = unquote(text) // a copy, only when escaped
	}
	// The decoder skips line breaks; the form has none.
	if i := bytes.IndexAny(text, "\r\n"); i >= 0 {
		return nil, sandbox.Invalid(field, "%s.content is not standard padded base64: a line break at offset %d (send it on one line)", field, i)
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
	n, err := base64.StdEncoding.Strict().Decode(out, text)
	if err != nil {
		var at base64.CorruptInputError
		if errors.As(err, &at) {
			return nil, sandbox.Invalid(field, "%s.content is not standard padded base64 (A-Z, a-z, 0-9, +, /, = padding to a multiple of 4): bad input at offset %d", field, int64(at))
		}
		return nil, sandbox.Invalid(field, "%s.content is not standard padded base64: %v", field, err)
	}
	return out[:n], nil
}

// unquote is the content of a JSON string (s: between its quotes, from a
// body already checked to be valid JSON and UTF-8) as bytes, in one
// buffer of at most its escaped size: encoding/json's unquoting, which
// would copy a file's content two or three times on the way to bytes
// (a buffer, a string, the bytes). Lone surrogates become U+FFFD, as
// encoding/json makes them (FuzzUnquoteAgreesWithEncodingJSON).
func unquote(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(out, s...)
		}
		out, s = append(out, s[:i]...), s[i:]
		switch c := s[1]; c {
		case 'b':
			out, s = append(out, '\b'), s[2:]
		case 'f':
			out, s = append(out, '\f'), s[2:]
		case 'n':
			out, s = append(out, '\n'), s[2:]
		case 'r':
			out, s = append(out, '\r'), s[2:]
		case 't':
			out, s = append(out, '\t'), s[2:]
		case 'u':
			r := hex4(s[2:6])
			s = s[6:]
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					r2 = hex4(s[2:6])
				}
				if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
					r, s = dec, s[6:]
				} else {
					r = unicode.ReplacementChar
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out, s = append(out, c), s[2:]
		}
	}
	return out
}

// hex4 is the value of four hex digits (valid JSON has them).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
