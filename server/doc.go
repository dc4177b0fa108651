// Package server owns the service's HTTP API and nothing more: it decodes
// requests strictly (the wire: JSON shape, content type, body and header
// size), hands the domain request to a Service, which validates it, and
// encodes what comes back (or the error) as JSON. It knows nothing of
// compilers, harnesses or wazero; those live behind the Service interface.
//
// Every failure leaves the server in one JSON shape (Problem),
//
//	{"status": "invalid_request", "error": "<message>", "field": "<field>"}
//
// and its HTTP status and status word come from the error's code through
// one table (failures, in errors.go). A request that compiled and ran,
// however its program ended, is a 200.
package server
