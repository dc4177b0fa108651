package harnesses

import (
	"bytes"
	"encoding/json"
)

// schema is the part of JSON Schema the harnesses' args schemas use. The
// fields are in the order a reader expects them (what it is, then what
// it holds), which is the order clients see.
type schema struct {
	Type     string   `json:"type,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	MaxItems int      `json:"maxItems,omitempty"`
	Items    *schema  `json:"items,omitempty"`
	// AdditionalProperties is false, or the schema of every value.
	AdditionalProperties any        `json:"additionalProperties,omitempty"`
	Required             []string   `json:"required,omitempty"`
	Description          string     `json:"description,omitempty"`
	Properties           properties `json:"properties,omitempty"`
}

// properties are an object's properties, in the order they are listed.
type properties []property

type property struct {
	name string
	schema
}

func (ps properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(p.name)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(p.schema)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// requestSchema says how the harnesses that send requests differ in what
// one request may be.
type requestSchema struct {
	// methods, if set, are the only methods a request may use.
	methods []string
	// cookies says what a request's cookies do.
	cookies string
	// raw: a request may instead be bytes sent as they are (then it needs
	// no uri), and raw_responses asks for the bytes that came back.
	raw bool
}

// envProperty is the env argument of the harnesses that run a program
// of the stub's own (program, serve, test; mock too).
var envProperty = property{"env", schema{Type: "object", AdditionalProperties: schema{Type: "string"},
	Description: "the program's environment variables, such as ROCKET_* configuration (default none; names are letters, digits and _)"}}

// requestArgsSchema is the JSON Schema of the args of a harness that sends
// requests (serve, mock; see decodeRequests): a list of requests, or one
// request's fields at the top level.
func requestArgsSchema(rs requestSchema) json.RawMessage {
	str := schema{Type: "string"}
	strMap := schema{Type: "object", AdditionalProperties: str}
	rawField := func(description string) property {
		return property{"raw", schema{Type: "string", Description: description}}
	}
	item := schema{Type: "object", AdditionalProperties: false, Required: []string{"uri"}}
	if rs.raw {
		item.Required = nil
		item.Properties = append(item.Properties, rawField("bytes sent exactly as given instead of a request built from the other fields"))
	}
	item.Properties = append(item.Properties,
		property{"method", schema{Type: "string", Enum: rs.methods, Description: "HTTP method (default GET)"}},
		property{"uri", schema{Type: "string", Description: "origin-form request target, e.g. /hello?x=1"}},
		property{"headers", strMap},
		property{"cookies", schema{Type: "object", AdditionalProperties: str, Description: rs.cookies}},
		property{"body", str},
	)

	top := properties{{"method", str}, {"uri", str}, {"body", str}, {"headers", strMap}, {"cookies", strMap}}
	if rs.raw {
		top = append(top, rawField("bytes sent exactly as given instead of a built request (e.g. malformed HTTP)"),
			property{"raw_responses", schema{Type: "boolean", Description: "also return each response's raw bytes (default false)"}})
	}
	top = append(top, property{"requests", schema{Type: "array", MaxItems: maxRequests, Items: &item}}, envProperty)
	b, err := json.MarshalIndent(schema{
		Type:                 "object",
		AdditionalProperties: false,
		Description:          "Either requests, or one request's method/uri/headers/cookies/body at the top level.",
		Properties:           top,
	}, "", "  ")
	if err != nil {
		panic(err) // a static value of known types; this is a programming error
	}
	return b
}
