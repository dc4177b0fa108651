package sandbox

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
)

// A project's memo key, and its seed, are its files' bytes: the same
// bytes (which the wire may have carried as text or as base64) are the
// same request, one changed byte of a binary file is another.
func TestBinaryFilesKeyTheMemoByTheirBytes(t *testing.T) {
	c, e := &countingCompiler{}, &countingEngine{}
	svc := newCachedService(t, c, e)
	req := func(blob []byte) Request {
		r := programReq("", "a")
		r.Files = map[string][]byte{"src/main.rs": []byte("fn main() {}\n"), "static/x.bin": blob}
		return r
	}
	first, err := svc.Execute(context.Background(), req([]byte{0xff, 0x00, 0xfe}))
	require.NoError(t, err)
	assert.Equal(t, cache.Miss, first.Cache.Result)
	same, err := svc.Execute(context.Background(), req([]byte{0xff, 0x00, 0xfe}))
	require.NoError(t, err)
	assert.Equal(t, cache.Memory, same.Cache.Result, "the same bytes are the same request")
	other, err := svc.Execute(context.Background(), req([]byte{0xff, 0x00, 0xff}))
	require.NoError(t, err)
	assert.Equal(t, cache.Miss, other.Cache.Result, "another byte is another request")
	assert.NotEqual(t, first.Seed, other.Seed, "and another seed")
	assert.EqualValues(t, 2, c.calls.Load(), "and another compile: the file is the crate's")
}

// A share keeps a file that is not UTF-8 as base64 and one that is as
// text: its one canonical form, which reads back as a request.
func TestSharesKeepBinaryFilesAsBase64(t *testing.T) {
	svc := shareService(t, cache.Config{})
	id, err := svc.Share(Request{Harness: "program", Files: map[string][]byte{
		"src/main.rs": []byte("fn main() {}\n"), "static/x.bin": {0xff, 0x00, 0xfe}, "static/a.html": []byte("<p>é</p>"),
	}})
	require.NoError(t, err)
	state, err := svc.Shared(id)
	require.NoError(t, err)
	assert.Equal(t, `{"args":{},"files":{"src/main.rs":"fn main() {}\n","static/a.html":"<p>é</p>","static/x.bin":{"content":"/wD+","encoding":"base64"}},"harness":"program","stub":""}`, string(state),
		"no stub: the crate root is a file")
}

// A shared project meets a request's file rules.
func TestSharesCheckTheFileRules(t *testing.T) {
	svc := shareService(t, cache.Config{})
	_, err := svc.Share(Request{Harness: "program", Files: map[string][]byte{"src/main.rs": {0xff}}})
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeInvalid, e.Code)
	assert.Equal(t, `files["src/main.rs"]`, e.Field)
	_, err = svc.Share(Request{Harness: "program", Files: map[string][]byte{"src/main.rs": []byte("fn main() {}"), "big.bin": make([]byte, 2<<20)}})
	e, ok = AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeTooLarge, e.Code)
	assert.Equal(t, "files", e.Field)
}
