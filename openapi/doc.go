// Package openapi builds the service's OpenAPI 3.1 document from Go
// values: JSON Schemas (draft 2020-12, the dialect OpenAPI 3.1 uses)
// reflected from the very types the handlers encode, by encoding/json's
// rules, and operations listed as data by the package that registers the
// routes. It also serves the document and an offline page that renders
// it (/docs, its assets embedded). It knows nothing of the service; the
// server says what its routes are.
package openapi
