package harnesses

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonNames lists the JSON field names encoding/json decodes into a value
// of type t, following embedded structs as it does.
func jsonNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			names = append(names, jsonNames(f.Type)...)
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// wireSchema is an args schema as a client reads it.
type wireSchema struct {
	Type       string                `json:"type"`
	Enum       []string              `json:"enum"`
	Required   []string              `json:"required"`
	Items      *wireSchema           `json:"items"`
	Properties map[string]wireSchema `json:"properties"`
}

func (s wireSchema) names() []string {
	var names []string
	for n := range s.Properties {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func without(names []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(drop, n) })
}

func TestRequestArgsSchemasMatchWhatTheHarnessesDecode(t *testing.T) {
	topLevel, request := jsonNames(reflect.TypeFor[serveArgs]()), jsonNames(reflect.TypeFor[request]())
	for _, c := range []struct {
		h            *Harness
		top, item    []string
		required     []string
		methods      []string
		cookiesDoing string
	}{
		{Serve(), topLevel, request, nil, nil, "Cookie header"},
		// mock refuses raw requests, and has no raw responses to return.
		{Mock(), without(topLevel, "raw", "raw_responses"), without(request, "raw"), []string{"uri"}, rocketMethods, "cookie jar"},
	} {
		t.Run(c.h.ID, func(t *testing.T) {
			var s wireSchema
			require.NoError(t, json.Unmarshal(c.h.ArgsSchema, &s))
			assert.Equal(t, "object", s.Type)
			assert.Equal(t, c.top, s.names(), "the top-level fields")
			requests := s.Properties["requests"]
			require.NotNil(t, requests.Items)
			assert.Equal(t, c.item, requests.Items.names(), "a request's fields")
			assert.Equal(t, c.required, requests.Items.Required)
			assert.Equal(t, c.methods, requests.Items.Properties["method"].Enum)
			assert.Contains(t, string(c.h.ArgsSchema), c.cookiesDoing)
			assert.Contains(t, string(c.h.ArgsSchema), `"maxItems": 32`)
		})
	}
}

func TestTestArgsSchemaMatchesWhatTheHarnessDecodes(t *testing.T) {
	var s wireSchema
	require.NoError(t, json.Unmarshal(Test().ArgsSchema, &s))
	assert.Equal(t, jsonNames(reflect.TypeFor[testArgs]()), s.names())
}
