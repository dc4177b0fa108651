package openapi

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPathOf(t *testing.T) {
	assert.Equal(t, "/api/v1/run/{harness}", PathOf("/api/v1/run/:harness"))
	assert.Equal(t, "/s/{id}", PathOf("/s/:id?"))
	assert.Equal(t, "/healthz", PathOf("/healthz"))
}

func TestNewRefusesWhatWouldMisdescribe(t *testing.T) {
	op := func(id string, tags ...string) Operation {
		return Operation{OperationID: id, Tags: tags, Responses: map[string]Response{}}
	}
	tags := []Tag{{Name: "a"}}
	_, err := New(Info{}, tags, []Route{{Method: "GET", Path: "/x", Operation: op("x")}, {Method: "GET", Path: "/x", Operation: op("y")}}, NewSchemas())
	assert.ErrorContains(t, err, "listed twice")
	_, err = New(Info{}, tags, []Route{{Method: "GET", Path: "/x", Operation: op("x")}, {Method: "GET", Path: "/y", Operation: op("x")}}, NewSchemas())
	assert.ErrorContains(t, err, "used twice")
	_, err = New(Info{}, tags, []Route{{Method: "GET", Path: "/x", Operation: op("x", "b")}}, NewSchemas())
	assert.ErrorContains(t, err, "not listed")
	_, err = New(Info{}, append(tags, Tag{Name: "a"}), nil, NewSchemas())
	assert.ErrorContains(t, err, "tag \"a\" is listed twice")
}

// Schemas follow encoding/json: omitempty is optional, a pointer without
// it may be null, json:"-" and unexported fields are not there.
func TestSchemasFollowEncodingJSON(t *testing.T) {
	type inner struct {
		N int `json:"n"`
	}
	type outer struct {
		A      string            `json:"a"`
		B      *inner            `json:"b"`
		C      *inner            `json:"c,omitempty"`
		D      []string          `json:"d,omitempty"`
		E      map[string]uint64 `json:"e"`
		Hidden string            `json:"-"`
		lower  string
		Raw    json.RawMessage `json:"raw"`
	}
	s := NewSchemas()
	s.Name("Inner", inner{})
	got := s.Of(outer{})
	b, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"object","additionalProperties":false,"required":["a","b","e","raw"],"properties":{
		"a":{"type":"string"},
		"b":{"anyOf":[{"$ref":"#/components/schemas/Inner"},{"type":"null"}]},
		"c":{"$ref":"#/components/schemas/Inner"},
		"d":{"type":"array","items":{"type":"string"}},
		"e":{"type":"object","additionalProperties":{"type":"integer","format":"uint64","minimum":0,"maximum":18446744073709551615}},
		"raw":{}}}`, string(b))
	assert.Contains(t, s.Components(), "Inner")
	_ = outer{}.lower
}
