package harnesses

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/compiler/edition"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

func TestProgramPassesTheStubThroughAndArgsAsData(t *testing.T) {
	p, err := planProgram("fn main() {}\n", json.RawMessage(`{"stdin": "-C linker=/bin/sh", "edition": "2018"}`))
	require.NoError(t, err)
	assert.Equal(t, "fn main() {}\n", string(p.Source), "the stub is compiled as it is")
	assert.Equal(t, "-C linker=/bin/sh", string(p.Input.Stdin), "args are data for the guest")
	assert.Equal(t, "2018", p.Edition)
	assert.Nil(t, p.Lines, "the stub is Source, line for line")
	assert.Equal(t, CompileAndRun, p.Steps)
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
			_, err := planProgram("fn main() {}", json.RawMessage(c.args))
			var argErr *ArgError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, c.field, argErr.Field)
			assert.NotEmpty(t, argErr.Message)
		})
	}
}

func TestEditionArgumentsOfferTheCompilersEditions(t *testing.T) {
	for _, h := range []*Harness{Program(), Example()} {
		var schema struct {
			Properties struct {
				Edition struct {
					Enum        []string `json:"enum"`
					Description string   `json:"description"`
				} `json:"edition"`
			} `json:"properties"`
		}
		require.NoError(t, json.Unmarshal(h.ArgsSchema, &schema), h.ID)
		assert.Equal(t, edition.All(), schema.Properties.Edition.Enum, h.ID)
		assert.Contains(t, schema.Properties.Edition.Description, "(default "+edition.Default+")", h.ID)
		_, err := h.Plan("fn main() {}\n", json.RawMessage(`{"edition": "2019"}`))
		assert.EqualError(t, err, `args.edition: must be one of "2015", "2018", "2021", "2024"`, h.ID)
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

func TestServeBuildsOneWellFormedRequestPerConnection(t *testing.T) {
	p, err := planServe("", json.RawMessage(`{"method": "POST", "uri": "/a?b=1", "headers": {"X-B": "2", "Content-Type": "text/plain"}, "body": "hi"}`))
	require.NoError(t, err)
	require.Len(t, p.Input.Connections, 1, "top-level fields are one request")
	assert.Equal(t, "POST /a?b=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nX-B: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi\r\n", string(p.Input.Connections[0]),
		"the request, then an empty line that keeps hyper from polling the connection (connectionEnd)")

	p, err = planServe("", json.RawMessage(`{"requests": [{"uri": "/1"}, {"uri": "/2"}]}`))
	require.NoError(t, err)
	assert.Len(t, p.Input.Connections, 2)
	assert.True(t, p.Input.TrackResponse().Sent([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")))
	assert.False(t, p.Input.TrackResponse().Sent([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok")), "a short body is not complete")
}

func TestServeRefusesRequestsThatAreNotWellFormed(t *testing.T) {
	for name, c := range map[string]struct{ args, field string }{
		"header injection in uri": {`{"uri": "/a\r\nX: y"}`, "requests[0].uri"},
		"absolute uri":            {`{"uri": "http://host/"}`, "requests[0].uri"},
		"lowercase method":        {`{"method": "get", "uri": "/"}`, "requests[0].method"},
		"header value with CRLF":  {`{"uri": "/", "headers": {"X": "a\r\nY: b"}}`, "requests[0].headers.X"},
		"framing header":          {`{"uri": "/", "headers": {"Content-Length": "9"}}`, "requests[0].headers.Content-Length"},
		"both forms":              {`{"uri": "/", "requests": [{"uri": "/"}]}`, "requests"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := planServe("", json.RawMessage(c.args))
			var argErr *ArgError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, c.field, argErr.Field)
		})
	}
}

func TestServeSendsCookiesAsOneHeader(t *testing.T) {
	p, err := planServe("", json.RawMessage(`{"uri": "/", "cookies": {"b": "2", "a": "1"}}`))
	require.NoError(t, err)
	require.Len(t, p.Input.Connections, 1, "cookies alone make a top-level request")
	assert.Contains(t, string(p.Input.Connections[0]), "\r\nCookie: a=1; b=2\r\n")

	_, err = planServe("", json.RawMessage(`{"uri": "/", "cookies": {"a": "1"}, "headers": {"Cookie": "b=2"}}`))
	var argErr *ArgError
	require.ErrorAs(t, err, &argErr)
	assert.Equal(t, "requests[0].headers.Cookie", argErr.Field)
}

func TestServeRawRequestsAndResponses(t *testing.T) {
	p, err := planServe("", json.RawMessage(`{"raw_responses": true, "requests": [{"raw": "GARBAGE\r\n\r\n"}, {"uri": "/"}, {"raw": "GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"}, {"raw": "GET / HTTP/1.1\r\nHost: a\r\n"}, {"raw": "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"}]}`))
	require.NoError(t, err)
	require.Len(t, p.Input.Connections, 5)
	assert.Equal(t, "GARBAGE\r\n\r\n", string(p.Input.Connections[0]), "raw bytes go out as given")
	assert.Equal(t, "GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nx\r\n", string(p.Input.Connections[2]), "whole requests end with an empty line")
	assert.Equal(t, "GET / HTTP/1.1\r\nHost: a\r\n", string(p.Input.Connections[3]), "a truncated request stays truncated")
	assert.Equal(t, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", string(p.Input.Connections[4]), "an upgrade's connection carries other bytes after it")
	rep, err := p.Report(&outcome.Compile{Success: true}, &outcome.Run{Responses: [][]byte{[]byte("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"), {0xff}}})
	require.NoError(t, err)
	out := rep.RunResult
	assert.Contains(t, string(out), `"raw":"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n","raw_encoding":"utf-8"`)
	assert.Contains(t, string(out), `"raw":"/w==","raw_encoding":"base64"`)

	for name, c := range map[string]struct{ args, field string }{
		"raw with fields": {`{"requests": [{"raw": "GET / HTTP/1.1\r\n\r\n", "uri": "/"}]}`, "requests[0].raw"},
		"raw in mock":     {`{"raw": "GET / HTTP/1.1\r\n\r\n"}`, "requests[0].raw"},
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			if name == "raw in mock" {
				_, err = Mock().Plan("", json.RawMessage(c.args))
			} else {
				_, err = planServe("", json.RawMessage(c.args))
			}
			var argErr *ArgError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, c.field, argErr.Field)
		})
	}
}
