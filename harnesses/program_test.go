package harnesses

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProgramPassesTheStubThroughAndArgsAsData(t *testing.T) {
	p, err := prepareProgram("fn main() {}\n", json.RawMessage(`{"stdin": "-C linker=/bin/sh", "edition": "2018"}`))
	require.NoError(t, err)
	assert.Equal(t, "fn main() {}\n", string(p.Source), "the stub is compiled as it is")
	assert.Equal(t, "-C linker=/bin/sh", string(p.Stdin), "args are data for the guest")
	assert.Equal(t, "2018", p.Edition)
	assert.Equal(t, 1, p.StubLine)
}

func TestProgramArgErrorsNameTheField(t *testing.T) {
	cases := map[string]struct{ args, field string }{
		"wrong type":        {`{"stdin": 5}`, "stdin"},
		"unknown arg":       {`{"flags": "-L /"}`, "flags"},
		"bad edition":       {`{"edition": "2021 -C linker=/bin/sh"}`, "edition"},
		"not an object":     {`[1, 2]`, ""},
		"edition as number": {`{"edition": 2021}`, "edition"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := prepareProgram("fn main() {}", json.RawMessage(c.args))
			var argErr *ArgError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, c.field, argErr.Field)
			assert.NotEmpty(t, argErr.Message)
		})
	}
}

func TestRegistryRefusesDuplicatesAndBadSchemas(t *testing.T) {
	_, err := NewRegistry(Program(), Program())
	assert.ErrorContains(t, err, "registered twice")
	bad := Program()
	bad.ArgsSchema = json.RawMessage(`{`)
	_, err = NewRegistry(bad)
	assert.ErrorContains(t, err, "not valid JSON")
	r := Default()
	h, ok := r.Get("program")
	require.True(t, ok)
	assert.Equal(t, "program", h.ID)
	_, ok = r.Get("nope")
	assert.False(t, ok)
}
