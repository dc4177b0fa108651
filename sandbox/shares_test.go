package sandbox

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
)

func shareService(t *testing.T, cfg cache.Config) *Service {
	t.Helper()
	store, err := cache.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	svc, err := NewService(Config{MaxStubBytes: 1 << 10}, Deps{Harnesses: harnesses.Default(), Compiler: newGatedCompiler(), Engine: echoEngine{}, Shares: store})
	require.NoError(t, err)
	return svc
}

// The same state, however written, has the same id and comes back as
// the same canonical JSON; another state has another id.
func TestSharesAreContentAddressed(t *testing.T) {
	svc := shareService(t, cache.Config{})
	seed := uint64(7)
	a, err := svc.Share(Request{Harness: "program", Stub: "fn main() {}\r\n", Args: []byte(`{"stdin": "x", "a": 1.0}`), Seed: &seed})
	require.NoError(t, err)
	b, err := svc.Share(Request{Harness: "program", Stub: "fn main() {}", Args: []byte(`{"a":1,"stdin":"x"}`), Seed: &seed})
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Len(t, a, 24)
	raw, err := base64.RawURLEncoding.DecodeString(a)
	require.NoError(t, err)
	assert.Len(t, raw, 18, "144 bits of hash")

	state, err := svc.Shared(a)
	require.NoError(t, err)
	assert.Equal(t, `{"args":{"a":1,"stdin":"x"},"harness":"program","seed":7,"stub":"fn main() {}\n"}`, string(state))

	c, err := svc.Share(Request{Harness: "program", Stub: "fn main() {}", Args: []byte(`{"a":2,"stdin":"x"}`), Seed: &seed})
	require.NoError(t, err)
	assert.NotEqual(t, a, c)
}

// A state is checked as a request is; ids that cannot be one are
// invalid, ids not stored are missing.
func TestSharesRefuseWhatARequestWouldAndUnknownIDs(t *testing.T) {
	svc := shareService(t, cache.Config{})
	for _, tc := range []struct {
		req  Request
		code Code
	}{
		{Request{Harness: "nope", Stub: "fn main() {}"}, CodeNotFound},
		{Request{Harness: "program", Stub: ""}, CodeInvalid},
		{Request{Harness: "program", Stub: string(make([]byte, 2<<10))}, CodeTooLarge},
		{Request{Harness: "program", Stub: "x", Args: []byte(`[1]`)}, CodeInvalid},
	} {
		_, err := svc.Share(tc.req)
		e, ok := AsError(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, tc.code, e.Code, "%+v", tc.req)
	}
	for _, id := range []string{"", "short", "../../../../etc/passwd000", "AAAAAAAAAAAAAAAAAAAAAAA=", "AAAAAAAAAAAAAAAAAAAAAAA+"} {
		_, err := svc.Shared(id)
		e, ok := AsError(err)
		require.True(t, ok, "%v", err)
		assert.Equal(t, CodeInvalid, e.Code, "%q", id)
		assert.Equal(t, "id", e.Field)
	}
	_, err := svc.Shared("AAAAAAAAAAAAAAAAAAAAAAAA")
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeMissing, e.Code)
}

// A state over the store's value cap is refused, not half stored.
func TestSharesOverTheValueCapAreRefused(t *testing.T) {
	svc := shareService(t, cache.Config{MaxValueBytes: 100})
	_, err := svc.Share(Request{Harness: "program", Stub: string(make([]byte, 200))})
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeTooLarge, e.Code)
}

// A state's limits are kept as asked (only those set), and checked
// against the maxima as a request's are.
func TestSharesKeepTheLimitsAsked(t *testing.T) {
	svc := shareService(t, cache.Config{})
	id, err := svc.Share(Request{Harness: "program", Stub: "fn main() {}", Limits: Limits{RunTimeoutMS: 1000}})
	require.NoError(t, err)
	state, err := svc.Shared(id)
	require.NoError(t, err)
	assert.Equal(t, `{"args":{},"harness":"program","limits":{"run_timeout_ms":1000},"stub":"fn main() {}\n"}`, string(state))
	_, err = svc.Share(Request{Harness: "program", Stub: "fn main() {}", Limits: Limits{RunTimeoutMS: 1 << 40}})
	e, ok := AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, CodeInvalid, e.Code)
}
