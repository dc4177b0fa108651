package openapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Schema is one JSON Schema, as the JSON object it is. A map keeps the
// builder small; encoding/json sorts its keys, so the document's bytes
// are the same every time.
type Schema map[string]any

// Ref is a schema that refers to a named component.
func Ref(name string) Schema { return Schema{"$ref": "#/components/schemas/" + name} }

// Nullable is s or null.
func Nullable(s Schema) Schema {
	if t, ok := s["type"].(string); ok && s["enum"] == nil {
		c := clone(s)
		c["type"] = []string{t, "null"}
		return c
	}
	return Schema{"anyOf": []Schema{s, {"type": "null"}}}
}

func clone(s Schema) Schema {
	c := make(Schema, len(s))
	for k, v := range s {
		c[k] = v
	}
	return c
}

// Schemas reflects Go types into JSON Schemas and collects the named ones
// as the document's components. Names, enums and per-field overrides are
// registered before the first reflection.
type Schemas struct {
	names      map[reflect.Type]string
	enums      map[reflect.Type][]string
	fields     map[string]Schema // "TypeName.json_name" → the field's schema
	components map[string]Schema
}

// NewSchemas returns an empty set.
func NewSchemas() *Schemas {
	return &Schemas{
		names:      map[reflect.Type]string{},
		enums:      map[reflect.Type][]string{},
		fields:     map[string]Schema{},
		components: map[string]Schema{},
	}
}

// Name makes the type of v a component called name: every use of the type
// refers to it.
func (s *Schemas) Name(name string, v any) {
	s.names[reflect.TypeOf(v)] = name
}

// Enum says which values a string type of v may take. A named enum type is
// a component of its own.
func (s *Schemas) Enum(v any, values ...string) {
	s.enums[reflect.TypeOf(v)] = values
}

// Field replaces the schema reflected for one field of a named type,
// addressed as "ComponentName.json_name", for what the Go type cannot
// say (json.RawMessage's shape, a bound, a description).
func (s *Schemas) Field(path string, schema Schema) {
	s.fields[path] = schema
}

// Add registers a hand-written component.
func (s *Schemas) Add(name string, schema Schema) { s.components[name] = schema }

// Components returns every component collected so far.
func (s *Schemas) Components() map[string]Schema { return s.components }

// Of returns the schema of v's type: a reference when the type is named,
// the schema itself otherwise.
func (s *Schemas) Of(v any) Schema { return s.of(reflect.TypeOf(v)) }

var rawMessage = reflect.TypeOf(json.RawMessage(nil))

func (s *Schemas) of(t reflect.Type) Schema {
	if name, ok := s.names[t]; ok {
		if _, done := s.components[name]; !done {
			s.components[name] = Schema{} // placeholder: recursion ends here
			s.components[name] = s.build(t, name)
		}
		return Ref(name)
	}
	return s.build(t, "")
}

// build reflects t by encoding/json's rules.
func (s *Schemas) build(t reflect.Type, name string) Schema {
	if values, ok := s.enums[t]; ok {
		return Schema{"type": "string", "enum": values}
	}
	if t == rawMessage {
		return Schema{} // any JSON value
	}
	switch t.Kind() {
	case reflect.Pointer:
		return Nullable(s.of(t.Elem()))
	case reflect.String:
		return Schema{"type": "string"}
	case reflect.Bool:
		return Schema{"type": "boolean"}
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return Schema{"type": "integer", "format": "int32"}
	case reflect.Int, reflect.Int64:
		return Schema{"type": "integer", "format": "int64"}
	case reflect.Uint8, reflect.Uint16, reflect.Uint32:
		return Schema{"type": "integer", "format": "int32", "minimum": 0}
	case reflect.Uint, reflect.Uint64:
		return Schema{"type": "integer", "format": "uint64", "minimum": 0, "maximum": uint64(1<<64 - 1)}
	case reflect.Float32, reflect.Float64:
		return Schema{"type": "number"}
	case reflect.Slice, reflect.Array:
		// A nil slice encodes as null; the types here always send a
		// list, and the contract test holds them to it.
		return Schema{"type": "array", "items": s.of(t.Elem())}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic(fmt.Sprintf("openapi: map key %s is not a string", t.Key()))
		}
		return Schema{"type": "object", "additionalProperties": s.of(t.Elem())}
	case reflect.Struct:
		return s.object(t, name)
	case reflect.Interface:
		return Schema{}
	}
	panic(fmt.Sprintf("openapi: cannot describe %s", t))
}

// object is a struct's schema: one property per field encoding/json
// writes, required unless omitempty, nothing else allowed.
func (s *Schemas) object(t reflect.Type, name string) Schema {
	props := Schema{}
	var required []string
	s.fieldsOf(t, name, props, &required)
	o := Schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func (s *Schemas) fieldsOf(t reflect.Type, name string, props Schema, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		jsonName, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && jsonName == "" && f.Type.Kind() == reflect.Struct {
			s.fieldsOf(f.Type, name, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if jsonName == "" {
			jsonName = f.Name
		}
		omit := strings.Contains(","+opts+",", ",omitempty,")
		var fs Schema
		if o, ok := s.fields[name+"."+jsonName]; ok && name != "" {
			fs = o
		} else if omit && f.Type.Kind() == reflect.Pointer {
			fs = s.of(f.Type.Elem()) // absent when nil, never null
		} else {
			fs = s.of(f.Type)
		}
		props[jsonName] = fs
		if !omit {
			*required = append(*required, jsonName)
		}
	}
}
