package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Version is the OpenAPI version the document is written in.
const Version = "3.1.0"

// Document is an OpenAPI 3.1 document, with the parts this service uses.
type Document struct {
	OpenAPI           string                          `json:"openapi"`
	Info              Info                            `json:"info"`
	JSONSchemaDialect string                          `json:"jsonSchemaDialect"`
	Tags              []Tag                           `json:"tags,omitempty"`
	Paths             map[string]map[string]Operation `json:"paths"`
	Components        Components                      `json:"components"`
}

// Info names the API.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// Tag groups operations on the docs page.
type Tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// Components holds the named schemas.
type Components struct {
	Schemas map[string]Schema `json:"schemas"`
}

// Operation is one method on one path.
type Operation struct {
	OperationID string              `json:"operationId"`
	Summary     string              `json:"summary"`
	Description string              `json:"description,omitempty"`
	Tags        []string            `json:"tags,omitempty"`
	Parameters  []Parameter         `json:"parameters,omitempty"`
	RequestBody *RequestBody        `json:"requestBody,omitempty"`
	Responses   map[string]Response `json:"responses"`
}

// Parameter is a path, query or header parameter.
type Parameter struct {
	Name        string `json:"name"`
	In          string `json:"in"`
	Required    bool   `json:"required,omitempty"`
	Description string `json:"description,omitempty"`
	Schema      Schema `json:"schema"`
	Style       string `json:"style,omitempty"`
	Explode     *bool  `json:"explode,omitempty"`
}

// RequestBody is what an operation accepts, by media type.
type RequestBody struct {
	Required    bool                 `json:"required"`
	Description string               `json:"description,omitempty"`
	Content     map[string]MediaType `json:"content"`
}

// MediaType is a body's schema.
type MediaType struct {
	Schema Schema `json:"schema"`
}

// Response is one status's answer.
type Response struct {
	Description string               `json:"description"`
	Headers     map[string]Header    `json:"headers,omitempty"`
	Content     map[string]MediaType `json:"content,omitempty"`
}

// Header is a response header.
type Header struct {
	Description string `json:"description,omitempty"`
	Schema      Schema `json:"schema"`
}

// Route is one operation as the server registers it: Fiber's method and
// path (":name" parameters), and what the document says of it.
type Route struct {
	Method string
	// Path in Fiber's syntax: /api/v1/run/:harness, /assets/:name.
	Path string
	Operation
}

// New assembles the document from its routes and the schemas they use.
// Two routes on one method and path are a programming error.
func New(info Info, tags []Tag, routes []Route, schemas *Schemas) (*Document, error) {
	d := &Document{
		OpenAPI:           Version,
		Info:              info,
		JSONSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
		Tags:              tags,
		Paths:             map[string]map[string]Operation{},
		Components:        Components{Schemas: schemas.Components()},
	}
	tagged := map[string]bool{}
	for _, t := range tags {
		if tagged[t.Name] {
			return nil, fmt.Errorf("openapi: tag %q is listed twice", t.Name)
		}
		tagged[t.Name] = true
	}
	ids := map[string]bool{}
	for _, r := range routes {
		p := PathOf(r.Path)
		m := strings.ToLower(r.Method)
		if d.Paths[p] == nil {
			d.Paths[p] = map[string]Operation{}
		}
		if _, dup := d.Paths[p][m]; dup {
			return nil, fmt.Errorf("openapi: %s %s is listed twice", r.Method, r.Path)
		}
		for _, t := range r.Tags {
			if !tagged[t] {
				return nil, fmt.Errorf("openapi: %s %s has tag %q, which is not listed", r.Method, r.Path, t)
			}
		}
		if ids[r.OperationID] {
			return nil, fmt.Errorf("openapi: operation id %q is used twice", r.OperationID)
		}
		ids[r.OperationID] = true
		d.Paths[p][m] = r.Operation
	}
	return d, nil
}

// PathOf turns a Fiber path (/run/:harness) into OpenAPI's (/run/{harness}).
func PathOf(fiberPath string) string {
	parts := strings.Split(fiberPath, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") {
			parts[i] = "{" + strings.TrimSuffix(strings.TrimPrefix(p, ":"), "?") + "}"
		}
	}
	return strings.Join(parts, "/")
}

// JSON is the document as indented JSON, the same bytes every time.
func (d *Document) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("openapi: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// Operations lists the document's operations as (METHOD, OpenAPI path)
// pairs, sorted.
func (d *Document) Operations() [][2]string {
	var out [][2]string
	for p, ops := range d.Paths {
		for m := range ops {
			out = append(out, [2]string{strings.ToUpper(m), p})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][1] != out[j][1] {
			return out[i][1] < out[j][1]
		}
		return out[i][0] < out[j][0]
	})
	return out
}
