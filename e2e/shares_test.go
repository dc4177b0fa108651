package e2e

// Share links through the HTTP API: a state stored and read back by its
// content hash, the same state the same id, unknown and malformed ids.

import (
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/server"
)

func get(t *testing.T, path string) (int, []byte) {
	t.Helper()
	resp, err := client.Get(baseURL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b json.RawMessage
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&b))
	return resp.StatusCode, b
}

func TestShareRoundTrip(t *testing.T) {
	state := map[string]any{"harness": "mock", "stub": readTestdata(t, "hello.rs"), "args": map[string]any{"requests": []any{map[string]any{"method": "GET", "uri": "/"}}}, "seed": 42}
	body, err := json.Marshal(map[string]any{"state": state})
	require.NoError(t, err)
	code, raw := post(t, "/api/v1/shares", "application/json", body)
	require.Equal(t, http.StatusCreated, code, "%s", raw)
	var created struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	require.NoError(t, json.Unmarshal(raw, &created))
	assert.Regexp(t, regexp.MustCompile(`^[A-Za-z0-9_-]{24}$`), created.ID)
	assert.Equal(t, "/s/"+created.ID, created.URL)

	code, raw = get(t, "/api/v1/shares/"+created.ID)
	require.Equal(t, http.StatusOK, code, "%s", raw)
	var back struct {
		State map[string]any `json:"state"`
	}
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, "mock", back.State["harness"])
	assert.Equal(t, readTestdata(t, "hello.rs"), back.State["stub"])
	assert.EqualValues(t, 42, back.State["seed"])
	assert.Equal(t, state["args"], back.State["args"])

	// The same state, its keys in another order: the same id.
	again, err := json.Marshal(map[string]any{"state": map[string]any{"seed": 42, "args": state["args"], "stub": state["stub"], "harness": "mock"}})
	require.NoError(t, err)
	_, raw = post(t, "/api/v1/shares", "application/json", again)
	assert.Contains(t, string(raw), created.ID)
}

func TestShareUnknownAndBadIDs(t *testing.T) {
	code, raw := get(t, "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAAAA")
	assert.Equal(t, http.StatusNotFound, code)
	p := decodeProblem(t, raw)
	assert.Equal(t, server.StatusNotFound, p.Status)

	code, raw = get(t, "/api/v1/shares/not-an-id")
	assert.Equal(t, http.StatusBadRequest, code)
	p = decodeProblem(t, raw)
	assert.Equal(t, server.StatusInvalidRequest, p.Status)
	assert.Equal(t, "id", p.Field)

	// A state is checked as a request is.
	code, raw = post(t, "/api/v1/shares", "application/json", []byte(`{"state": {"harness": "nope", "stub": "fn main() {}"}}`))
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "state.harness", decodeProblem(t, raw).Field)
	code, raw = post(t, "/api/v1/shares", "application/json", []byte(`{"state": {"harness": "program", "stub": "fn main() {}", "color": 1}}`))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "state.color", decodeProblem(t, raw).Field)
}

// A project's files are part of its share: stored, answered back, and
// part of the id.
func TestShareKeepsAProjectsFiles(t *testing.T) {
	files := loadProject(t, "webapp")
	share := func(files map[string]string) (string, []byte) {
		body, err := json.Marshal(map[string]any{"state": map[string]any{"harness": "serve", "files": files, "args": map[string]any{"uri": "/"}}})
		require.NoError(t, err)
		code, raw := post(t, "/api/v1/shares", "application/json", body)
		require.Equal(t, http.StatusCreated, code, "%s", raw)
		var created struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.Unmarshal(raw, &created))
		return created.ID, raw
	}
	id, _ := share(files)
	code, raw := get(t, "/api/v1/shares/"+id)
	require.Equal(t, http.StatusOK, code, "%s", raw)
	var back struct {
		State struct {
			Files map[string]string `json:"files"`
		} `json:"state"`
	}
	require.NoError(t, json.Unmarshal(raw, &back))
	assert.Equal(t, files, back.State.Files, "every file comes back as sent")

	changed := map[string]string{}
	for p, c := range files {
		changed[p] = c
	}
	changed["templates/index.html.tera"] += "<!-- edited -->\n"
	other, _ := share(changed)
	assert.NotEqual(t, id, other, "another file set is another share")
}
