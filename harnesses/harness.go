// Package harnesses owns the trusted code that wraps an untrusted stub:
// each harness is data (id, description, argument schema, example) plus
// a Plan function that validates the arguments and returns the request's
// Plan: the single source file to compile, the data the guest receives,
// and how to turn what became of it into the report (Plan.Report).
// Arguments reach the guest only as data (stdin, virtual connections),
// never as source. The directory also holds the Rust workspace of the
// dependency profile every stub compiles against.
package harnesses

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Harness is one way of compiling and driving a stub.
type Harness struct {
	ID          string
	Description string
	// ArgsSchema is the JSON Schema of the args object, for clients.
	ArgsSchema json.RawMessage
	// Example is a complete example request body.
	Example json.RawMessage
	// Plan validates args and plans the request: what to compile, what
	// the program gets, and how to read what became of it.
	Plan func(stub string, args json.RawMessage) (Plan, error)
	// Library: the harness can take a library crate (a project whose
	// root is src/lib.rs); the others need a binary's main.
	Library bool
}

// ArgError is a user's mistake in args. Field is a JSON path into args.
type ArgError struct {
	Field   string
	Message string
}

func (e *ArgError) Error() string { return fmt.Sprintf("args.%s: %s", e.Field, e.Message) }

// Registry holds the harnesses by id.
type Registry struct {
	byID map[string]*Harness
}

// NewRegistry returns a registry of the given harnesses.
func NewRegistry(hs ...*Harness) (*Registry, error) {
	r := &Registry{byID: map[string]*Harness{}}
	for _, h := range hs {
		if h.ID == "" || h.Plan == nil {
			return nil, fmt.Errorf("harness %q is incomplete", h.ID)
		}
		if _, dup := r.byID[h.ID]; dup {
			return nil, fmt.Errorf("harness %q registered twice", h.ID)
		}
		if !json.Valid(h.ArgsSchema) || !json.Valid(h.Example) {
			return nil, fmt.Errorf("harness %q: schema or example is not valid JSON", h.ID)
		}
		r.byID[h.ID] = h
	}
	return r, nil
}

// Default is the registry of every built-in harness.
func Default() *Registry {
	r, err := NewRegistry(Program(), Serve(), Example(), Mock(), Test())
	if err != nil {
		panic(err) // the built-in set is static; this is a programming error
	}
	return r
}

// Get returns the harness with the id.
func (r *Registry) Get(id string) (*Harness, bool) {
	h, ok := r.byID[id]
	return h, ok
}

// All returns the harnesses sorted by id.
func (r *Registry) All() []*Harness {
	out := make([]*Harness, 0, len(r.byID))
	for _, h := range r.byID {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IDs lists the harness ids, for error messages.
func (r *Registry) IDs() string {
	var ids []string
	for _, h := range r.All() {
		ids = append(ids, h.ID)
	}
	return strings.Join(ids, ", ")
}

// decodeArgs decodes args strictly into v: unknown fields and wrong types
// are ArgErrors naming the field.
func decodeArgs(args json.RawMessage, v any) error {
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(args)))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			return &ArgError{Field: "", Message: "args must be a JSON object"}
		}
		return &ArgError{Field: field, Message: fmt.Sprintf("must be %s, not %s", typeErr.Type.String(), typeErr.Value)}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &ArgError{Field: strings.Trim(name, `"`), Message: "unknown argument"}
	}
	return &ArgError{Field: "", Message: err.Error()}
}
