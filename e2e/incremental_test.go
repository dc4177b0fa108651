package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// editApp is an app a learner edits: each edit changes one handler's
// string, a new stub each time.
const editApp = `#[macro_use] extern crate rocket;

#[get("/")]
fn index() -> &'static str { "GREETING" }

#[get("/<name>")]
fn hello(name: &str) -> String { format!("Hello, {}!", name) }

#[launch]
fn rocket() -> _ { rocket::build().mount("/", routes![index, hello]) }
`

// TestEditRunWithASession is the edit → Run loop through the API: each
// edit of an app, sent with the client's session token, compiles (from
// the incremental directory the previous compile left, kept on the
// jail's side: in process, or by the keeper when split) and answers with
// the edited app; a compile error in between does not break the loop;
// and the answer to an edit is the answer a request without a session
// gets (memoized by the request alone: the session is not part of it).
func TestEditRunWithASession(t *testing.T) {
	const session = "e2e-edit-run-session-0001"
	dirs := func() []string {
		entries, err := os.ReadDir(mainConfig.Incremental.Dir)
		require.NoError(t, err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	before := dirs()
	send := func(greeting string, withSession bool) (int, []byte) {
		req := map[string]any{"harness": "serve", "stub": strings.Replace(editApp, "GREETING", greeting, 1),
			"args": map[string]any{"uri": "/"}}
		if withSession {
			req["session"] = session
		}
		body, err := json.Marshal(req)
		require.NoError(t, err)
		return post(t, "/api/v1/execute", "application/json", body)
	}
	for _, greeting := range []string{"first version", "second version", "third version"} {
		code, raw := send(greeting, true)
		require.Equal(t, 200, code, "%s", raw)
		r := decodeResponse(t, raw)
		require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
		s := servedOf(t, r)
		require.Len(t, s.Responses, 1)
		assert.Equal(t, greeting, s.Responses[0].Body)
	}
	kept := dirs()
	assert.Len(t, kept, len(before)+1, "one directory for the client's session and app, kept across its edits: %v", kept)

	// A typo, then the fix: the loop goes on.
	code, raw := send(`unterminated`+"\"", true)
	require.Equal(t, 200, code)
	assert.Equal(t, outcome.StatusCompileError, decodeResponse(t, raw).Status, "%s", raw)
	code, raw = send("fixed version", true)
	require.Equal(t, 200, code)
	r := decodeResponse(t, raw)
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	assert.Equal(t, "fixed version", servedOf(t, r).Responses[0].Body)

	// The same edit without a session is the same request: the memoized
	// answer, the same but for the cache report.
	code, again := send("fixed version", false)
	require.Equal(t, 200, code)
	hit := decodeResponse(t, again)
	require.NotNil(t, hit.Cache)
	assert.Equal(t, "memory", string(hit.Cache.Result))
	hit.Cache, r.Cache = nil, nil
	assert.Equal(t, r, hit)
	assert.Equal(t, kept, dirs(), "the same directory after the typo and the fix; none for the request without a session")
}

// A session token must have its one form: anything else is a 400 naming
// the field, before anything compiles.
func TestBadSessionTokensAreRefused(t *testing.T) {
	for _, body := range []string{
		`{"harness": "program", "stub": "fn main(){}", "session": "short"}`,
		`{"harness": "program", "stub": "fn main(){}", "session": "../../../../etc/passwd0000"}`,
		`{"harness": "program", "stub": "fn main(){}", "session": 5}`,
	} {
		code, raw := post(t, "/api/v1/execute", "application/json", []byte(body))
		assert.Equal(t, 400, code, "%s: %s", body, raw)
		p := decodeProblem(t, raw)
		assert.Equal(t, server.StatusInvalidRequest, p.Status)
		assert.Equal(t, "session", p.Field, "%s", raw)
	}
}
