// Package conformance checks real HTTP traffic against an OpenAPI 3.1
// document: that a request's method and path are an operation of it,
// that the operation declares the status a response came with and its
// media type, and that JSON bodies (requests and responses) validate
// against the operation's schemas (JSON Schema 2020-12). The contract
// tests use it on every route's success and error answers.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Contract is a loaded document, ready to check traffic against.
type Contract struct {
	paths    map[string]map[string]operation // template → method → operation
	compiler *jsonschema.Compiler
}

type operation struct {
	RequestBody *struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

const base = "mem://openapi.json"

// Load reads an OpenAPI 3.1 document.
func Load(doc []byte) (*Contract, error) {
	var d struct {
		OpenAPI string                          `json:"openapi"`
		Paths   map[string]map[string]operation `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	if !strings.HasPrefix(d.OpenAPI, "3.1.") {
		return nil, fmt.Errorf("conformance: openapi %q is not 3.1", d.OpenAPI)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(base, v); err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	return &Contract{paths: d.Paths, compiler: c}, nil
}

// Operations lists the document's operations as "METHOD /path/{param}".
func (c *Contract) Operations() []string {
	var out []string
	for p, ops := range c.paths {
		for m := range ops {
			out = append(out, strings.ToUpper(m)+" "+p)
		}
	}
	return out
}

// Match finds the operation for a request's method and concrete path,
// returning its path template.
func (c *Contract) Match(method, path string) (string, bool) {
	m := strings.ToLower(method)
	if m == "head" {
		m = "get"
	}
	if ops, ok := c.paths[path]; ok {
		if _, ok := ops[m]; ok {
			return path, true
		}
	}
	got := strings.Split(path, "/")
	for tmpl, ops := range c.paths {
		if _, ok := ops[m]; !ok {
			continue
		}
		want := strings.Split(tmpl, "/")
		if len(want) != len(got) {
			continue
		}
		match := true
		for i := range want {
			if strings.HasPrefix(want[i], "{") && strings.HasSuffix(want[i], "}") {
				match = match && got[i] != ""
			} else {
				match = match && want[i] == got[i]
			}
		}
		if match {
			return tmpl, true
		}
	}
	return "", false
}

// CheckRequest checks a request body the server accepted against the
// operation's request schema.
func (c *Contract) CheckRequest(method, path, contentType string, body []byte) error {
	tmpl, ok := c.Match(method, path)
	if !ok {
		return fmt.Errorf("%s %s is not an operation of the contract", method, path)
	}
	op := c.paths[tmpl][strings.ToLower(method)]
	if op.RequestBody == nil {
		if len(body) > 0 {
			return fmt.Errorf("%s %s: the contract declares no request body", method, tmpl)
		}
		return nil
	}
	media, ok := pick(op.RequestBody.Content, contentType)
	if !ok {
		return fmt.Errorf("%s %s: the contract declares no request body of type %q", method, tmpl, contentType)
	}
	ptr := pointer("paths", tmpl, strings.ToLower(method), "requestBody", "content", media, "schema")
	return c.validate(ptr, media, body, fmt.Sprintf("%s %s request", method, tmpl))
}

// CheckResponse checks that the operation declares status and the
// response's media type, and that a JSON body validates against the
// declared schema.
func (c *Contract) CheckResponse(method, path string, status int, contentType string, body []byte) error {
	tmpl, ok := c.Match(method, path)
	if !ok {
		return fmt.Errorf("%s %s is not an operation of the contract", method, path)
	}
	m := strings.ToLower(method)
	if m == "head" {
		m = "get"
	}
	op := c.paths[tmpl][m]
	code := strconv.Itoa(status)
	r, ok := op.Responses[code]
	if !ok {
		if r, ok = op.Responses["default"]; !ok {
			return fmt.Errorf("%s %s answered %d, which the contract does not declare", method, tmpl, status)
		}
		code = "default"
	}
	if len(r.Content) == 0 {
		if len(body) > 0 {
			return fmt.Errorf("%s %s %d: a body the contract does not declare", method, tmpl, status)
		}
		return nil
	}
	media, ok := pick(r.Content, contentType)
	if !ok {
		return fmt.Errorf("%s %s %d: content type %q is not declared", method, tmpl, status, contentType)
	}
	ptr := pointer("paths", tmpl, m, "responses", code, "content", media, "schema")
	return c.validate(ptr, media, body, fmt.Sprintf("%s %s %d response", method, tmpl, status))
}

func (c *Contract) validate(ptr, media string, body []byte, what string) error {
	if mt, _, _ := mime.ParseMediaType(media); mt != "application/json" {
		return nil // text, HTML, streams: the media type is the contract
	}
	sch, err := c.compiler.Compile(base + "#" + ptr)
	if err != nil {
		return fmt.Errorf("%s: the contract's schema does not compile: %w", what, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: not JSON: %w (%q)", what, err, truncate(body))
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s does not match the contract: %w\nbody: %s", what, err, truncate(body))
	}
	return nil
}

// pick finds the declared media type a content type falls under: the
// same type (parameters aside), or a wildcard.
func pick(content map[string]json.RawMessage, contentType string) (string, bool) {
	got, _, err := mime.ParseMediaType(contentType)
	if err != nil && contentType != "" {
		return "", false
	}
	for media := range content {
		want, _, _ := mime.ParseMediaType(media)
		if want == got {
			return media, true
		}
	}
	for media := range content {
		want, _, _ := mime.ParseMediaType(media)
		if want == "*/*" || (strings.HasSuffix(want, "/*") && strings.HasPrefix(got, strings.TrimSuffix(want, "*"))) {
			return media, true
		}
	}
	return "", false
}

// pointer is a JSON pointer to the named members.
func pointer(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
