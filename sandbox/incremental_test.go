package sandbox

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/incremental"
	"github.com/rocket-sandbox/rocket-sandbox/project"
)

// A session token has one form; anything else is refused naming the
// field, before anything is prepared.
func TestSessionTokensAreValidated(t *testing.T) {
	base := Request{Harness: "program", Stub: "fn main() {}"}
	for _, s := range []string{"", "abcdefghijklmnop", strings.Repeat("A-_9", 32)} {
		r := base
		r.Session = s
		assert.NoError(t, r.Validate(1<<10), "%q", s)
	}
	for _, s := range []string{"short", strings.Repeat("a", 129), "abcdefghijklmnop/../x", "abcdefghijklmnop ", "ábcdefghijklmnop"} {
		r := base
		r.Session = s
		err := r.Validate(1 << 10)
		require.Error(t, err, "%q", s)
		e, ok := AsError(err)
		require.True(t, ok)
		assert.Equal(t, CodeInvalid, e.Code)
		assert.Equal(t, "session", e.Field)
	}
}

// A compile's directory is its client's, session's, harness's and
// crate's: any of them different is another directory, so no client's
// compile ever reads a directory another client's compile wrote.
// Without a session there is none.
func TestIncrementalDirectoriesArePerClientAndProject(t *testing.T) {
	req := Request{Harness: "serve", Client: "addr:10.0.0.1", Session: "abcdefghijklmnopqrstuv"}
	in := compiler.Input{Source: []byte("fn main() {}")}
	id := incrementalID(req, in)
	require.True(t, incremental.ValidID(id))
	assert.Equal(t, id, incrementalID(req, compiler.Input{Source: []byte("fn main() { edited(); }")}), "an edit keeps its directory")

	others := map[string]string{}
	r := req
	r.Client = "addr:10.0.0.2"
	others["another client"] = incrementalID(r, in)
	r = req
	r.Client = "key:alice"
	others["a key's client"] = incrementalID(r, in)
	r = req
	r.Session = "abcdefghijklmnopqrstuw"
	others["another session"] = incrementalID(r, in)
	r = req
	r.Harness = "mock"
	others["another harness"] = incrementalID(r, in)
	others["another crate"] = incrementalID(req, compiler.Input{Root: project.BinRoot, Package: project.Package{Name: "other"}})
	others["its tests"] = incrementalID(req, compiler.Input{Test: true})
	for what, other := range others {
		assert.NotEqual(t, id, other, what)
	}

	req.Session = ""
	assert.Empty(t, incrementalID(req, in), "no session, no directory")
}
