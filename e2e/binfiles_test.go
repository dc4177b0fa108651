package e2e

// End-to-end tests of binary files in a project (issue 13): a file's
// content is a string (UTF-8 text) or {"content": "<base64>",
// "encoding": "base64"} (any bytes), through the HTTP API to the
// compile, the guest's file system and back in a response's body; the
// same bytes however sent are the same request; a malformed binary form
// is a 400 naming the file.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	apiclient "github.com/rocket-sandbox/rocket-sandbox/client"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// loadBinaryProject reads testdata/projects/<name> as the request's
// files, each in the form its bytes need (apiclient.File): the SQLite
// database there is not UTF-8, so it goes as base64.
func loadBinaryProject(t *testing.T, name string) map[string]json.RawMessage {
	t.Helper()
	return apiclient.Files(readProject(t, name))
}

// everyByte is 1 KiB holding each byte value four times: no UTF-8 text.
func everyByte() []byte {
	b := make([]byte, 1024)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

type binResponse struct {
	Status       int    `json:"status"`
	Body         string `json:"body"`
	BodyEncoding string `json:"body_encoding"`
}

func binResponses(t *testing.T, r json.RawMessage) []binResponse {
	t.Helper()
	var s struct {
		Responses []binResponse `json:"responses"`
	}
	require.NoError(t, json.Unmarshal(r, &s), "%s", r)
	return s.Responses
}

// A serve app's FileServer answers a file sent as base64 with exactly its
// bytes, and a SQLite database sent as base64 is readable by the app and
// is the run's own writable copy: a row the app inserts is there for the
// rest of the run, and the next run starts from the database as sent.
func TestBinaryFilesReachTheGuestByteForByte(t *testing.T) {
	files := loadBinaryProject(t, "binfiles")
	bin := everyByte()
	files["static/bytes.bin"] = apiclient.File(bin)
	require.JSONEq(t, `{"content":"`+base64.StdEncoding.EncodeToString(bin)+`","encoding":"base64"}`, string(files["static/bytes.bin"]))
	require.Contains(t, string(files["db/notes.sqlite"]), `"encoding":"base64"`, "the database is not UTF-8 text")

	run := func(note string) []binResponse {
		r, raw := execute(t, map[string]any{"harness": "serve", "files": files, "limits": dbLimits, "args": map[string]any{
			"requests": []map[string]any{
				{"uri": "/static/bytes.bin"},
				{"uri": "/notes"},
				{"method": "POST", "uri": "/notes", "body": note},
				{"uri": "/notes"},
			},
		}})
		require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
		s := binResponses(t, r.Run.Result)
		require.Len(t, s, 4, "%s", r.Run.Result)
		for i, resp := range s {
			require.Equal(t, 200, resp.Status, "response %d: %+v (Rocket's log: %s)", i, resp, r.Run.Stdout)
		}
		return s
	}
	s := run("written in the run")
	assert.Equal(t, "base64", s[0].BodyEncoding)
	got, err := base64.StdEncoding.DecodeString(s[0].Body)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(bin, got), "FileServer's body is the bytes sent:\n got %x\nwant %x", got, bin)
	assert.Equal(t, "1:sent as a file", s[1].Body, "the sent database's row")
	assert.Equal(t, "1", s[2].Body, "one row inserted")
	assert.Equal(t, "1:sent as a file\n2:written in the run", s[3].Body, "the run's copy is writable")

	s = run("another run")
	assert.Equal(t, "1:sent as a file", s[1].Body, "the next run starts from the database as it was sent")
	assert.Equal(t, "1:sent as a file\n2:another run", s[3].Body)
}

// The same bytes sent as text or as base64 are the same file: the second
// request is the first's memoized answer, byte for byte. Other bytes are
// another request.
func TestBinaryFormOfTextIsTheSameRequest(t *testing.T) {
	stub := "fn main() { print!(\"{}\", include_str!(\"../note.txt\")); }\n"
	send := func(note any) (outcome.Status, string, []byte) {
		r, raw := execute(t, map[string]any{"harness": "program", "files": map[string]any{"src/main.rs": stub, "note.txt": note}})
		require.NotNil(t, r.Cache, "%s", raw)
		require.NotNil(t, r.Run, "%s", raw)
		return r.Status, string(r.Cache.Result), []byte(r.Run.Stdout)
	}
	text := "binfiles: héllo, memo\n"
	st, tier, out := send(text)
	require.Equal(t, outcome.StatusOK, st)
	assert.Equal(t, text, string(out))
	assert.Equal(t, "miss", tier, "a new request")

	st, tier, again := send(map[string]string{"content": base64.StdEncoding.EncodeToString([]byte(text)), "encoding": "base64"})
	require.Equal(t, outcome.StatusOK, st)
	assert.NotEqual(t, "miss", tier, "the same bytes in base64 are the memoized request")
	assert.Equal(t, out, again)

	other := text[:len(text)-1] + "!"
	st, tier, diff := send(map[string]string{"content": base64.StdEncoding.EncodeToString([]byte(other)), "encoding": "base64"})
	require.Equal(t, outcome.StatusOK, st)
	assert.Equal(t, "miss", tier, "one byte more is another request")
	assert.Equal(t, other, string(diff))
}

// A share keeps a binary file as base64 and a text file as a string,
// whichever form either was sent in: the same bytes are the same share.
func TestBinaryFilesInShares(t *testing.T) {
	share := func(files map[string]any) (string, json.RawMessage) {
		body, err := json.Marshal(map[string]any{"state": map[string]any{"harness": "program", "files": files}})
		require.NoError(t, err)
		code, raw := post(t, "/api/v1/shares", "application/json", body)
		require.Equal(t, http.StatusCreated, code, "%s", raw)
		var created struct{ ID string }
		require.NoError(t, json.Unmarshal(raw, &created))
		code, raw = get(t, "/api/v1/shares/"+created.ID)
		require.Equal(t, http.StatusOK, code, "%s", raw)
		var st struct {
			State struct {
				Files map[string]json.RawMessage `json:"files"`
			} `json:"state"`
		}
		require.NoError(t, json.Unmarshal(raw, &st))
		return created.ID, st.State.Files["static/x.bin"]
	}
	b64 := func(b []byte) map[string]string {
		return map[string]string{"content": base64.StdEncoding.EncodeToString(b), "encoding": "base64"}
	}
	id1, bin := share(map[string]any{"src/main.rs": "fn main() {}\n", "static/x.bin": b64([]byte{0xff, 0x00, 0xfe})})
	assert.JSONEq(t, `{"content":"/wD+","encoding":"base64"}`, string(bin))
	id2, text := share(map[string]any{"src/main.rs": "fn main() {}\n", "static/x.bin": b64([]byte("text"))})
	assert.Equal(t, `"text"`, string(text), "UTF-8 bytes are kept as text")
	id3, _ := share(map[string]any{"src/main.rs": "fn main() {}\n", "static/x.bin": "text"})
	assert.Equal(t, id2, id3, "the same bytes, the same share")
	assert.NotEqual(t, id1, id2)
}

// A malformed binary form is refused before anything compiles, with the
// file as the field; so is a binary crate root (the harness reads it as
// Rust text). A binary module is rustc's to refuse: a compile error, not
// a refusal and never a 5xx.
func TestBinaryFilesBadFormsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]any
		field string
		msg   string
	}{
		{"unknown key", map[string]any{"src/main.rs": "fn main() {}", "static/x.jpg": map[string]any{"content": "/9g=", "encoding": "base64", "mode": 420}}, `files["static/x.jpg"]`, `unknown field "mode"`},
		{"other encoding", map[string]any{"src/main.rs": "fn main() {}", "static/x.jpg": map[string]any{"content": "ffd8", "encoding": "hex"}}, `files["static/x.jpg"]`, `must be "base64"`},
		{"bad base64", map[string]any{"src/main.rs": "fn main() {}", "static/x.jpg": map[string]any{"content": "/9g", "encoding": "base64"}}, `files["static/x.jpg"]`, "not standard padded base64"},
		{"binary crate root", map[string]any{"src/main.rs": map[string]any{"content": "/9g=", "encoding": "base64"}}, `files["src/main.rs"]`, "UTF-8"},
		{"binary Cargo.toml", map[string]any{"src/main.rs": "fn main() {}", "Cargo.toml": map[string]any{"content": "/9g=", "encoding": "base64"}}, `files["Cargo.toml"]`, "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{"harness": "program", "files": tc.files})
			require.NoError(t, err)
			code, raw := post(t, "/api/v1/execute", "application/json", body)
			require.Equal(t, http.StatusBadRequest, code, "%s", raw)
			p := decodeProblem(t, raw)
			assert.Equal(t, "invalid_request", string(p.Status))
			assert.Equal(t, tc.field, p.Field)
			assert.Contains(t, p.Message, tc.msg)
		})
	}

	r, raw := execute(t, map[string]any{"harness": "program", "files": map[string]any{
		"src/main.rs": "mod blob;\nfn main() {}\n",
		"src/blob.rs": map[string]any{"content": "/9j/4A==", "encoding": "base64"},
	}})
	assert.Equal(t, outcome.StatusCompileError, r.Status, "%s", raw)
	require.NotNil(t, r.Compile)
	assert.Contains(t, r.Compile.Stderr, "UTF-8", "rustc says why it cannot read the module")
}
