// Package server owns the service's HTTP API and nothing more: it decodes
// requests strictly, hands the domain request to a Service, and encodes what
// comes back (or the error) as JSON. It knows nothing of compilers, harnesses
// or wazero; those live behind the Service interface.
//
// Every failure leaves the server in one JSON shape,
//
//	{"status": "<sandbox.Status>", "error": "<message>", "field": "<field>"}
//
// and its HTTP status comes from one table (see errors.go). A request that
// compiled and ran, however its program ended, is a 200.
package server
