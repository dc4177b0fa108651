package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// memoService is fakeService with a memo: every answer is memoized under
// a key of the parsed request, and Recall answers from it until forget.
type memoService struct {
	*fakeService
	mu       sync.Mutex
	memo     map[string]sandbox.Encoded
	executed int // ExecuteEncoded calls: requests the server read
	recalled int // Recall calls that found their answer
}

func newMemoService() *memoService {
	return &memoService{fakeService: &fakeService{resp: okResponse(), harnesses: []sandbox.HarnessInfo{{ID: "hello", ArgsSchema: json.RawMessage(`{"type":"object"}`)}}},
		memo: map[string]sandbox.Encoded{}}
}

func (m *memoService) ExecuteEncoded(ctx context.Context, req sandbox.Request) (sandbox.Encoded, error) {
	enc, err := encoded(m.Execute(ctx, req))
	if err != nil {
		return enc, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.executed++
	enc.Key = fmt.Sprintf("%q %q %s", req.Harness, req.Stub, req.Args)
	hit := enc
	hit.Cache.Result = cache.Memory
	m.memo[enc.Key] = hit
	return enc, nil
}

func (m *memoService) Recall(key string) (sandbox.Encoded, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	enc, ok := m.memo[key]
	if ok {
		m.recalled++
	}
	return enc, ok
}

func (m *memoService) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.memo = map[string]sandbox.Encoded{}
}

func (m *memoService) counts() (executed, recalled int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.executed, m.recalled
}

// An exact repeat of an answered request is answered from the memo by
// its bytes (the server neither parses it nor asks the service to), with
// the same body; any other bytes — the same request spelled otherwise,
// another route — are read as before.
func TestAnExactRepeatIsRecalledByItsBytes(t *testing.T) {
	svc := newMemoService()
	app, logs := testApp(t, svc, Config{})
	first := postJSON(t, app, okBody)
	require.Equal(t, fiber.StatusOK, first.code, "%s", first.body)

	again := postJSON(t, app, okBody)
	require.Equal(t, fiber.StatusOK, again.code)
	executed, recalled := svc.counts()
	assert.Equal(t, 1, executed, "the repeat was not read again")
	assert.Equal(t, 1, recalled)
	assert.JSONEq(t, string(first.body), string(again.body), "the same answer (the fake's hit differs only in its cache report)")
	assert.Contains(t, logs.String(), "harness=hello cache=memory", "the recalled answer is logged as the hit it is")

	// The same request with other whitespace: read, and indexed too.
	spaced := postJSON(t, app, `{ "harness": "hello", "stub": "fn main() {}" }`)
	require.Equal(t, fiber.StatusOK, spaced.code)
	executed, _ = svc.counts()
	assert.Equal(t, 2, executed)

	// The same body on the run route is another request.
	run := do(t, app, fiber.MethodPost, "/api/v1/run/hello", []byte(okBody))
	require.Equal(t, fiber.StatusOK, run.code, "%s", run.body)
	executed, _ = svc.counts()
	assert.Equal(t, 3, executed)
	runAgain := do(t, app, fiber.MethodPost, "/api/v1/run/hello", []byte(okBody))
	require.Equal(t, fiber.StatusOK, runAgain.code)
	executed, recalled = svc.counts()
	assert.Equal(t, 3, executed, "the run route recalls its exact repeats too")
	assert.Equal(t, 2, recalled)
	do(t, app, fiber.MethodPost, "/api/v1/run/hello?stdin=x", []byte(okBody))
	executed, _ = svc.counts()
	assert.Equal(t, 4, executed, "another query is another request")
}

// The headers that can refuse a request are checked before the index is
// asked: bytes it knows, sent with a type the route refuses, are refused.
func TestARecalledBodyIsStillCheckedForItsHeaders(t *testing.T) {
	svc := newMemoService()
	app, _ := testApp(t, svc, Config{})
	require.Equal(t, fiber.StatusOK, postJSON(t, app, okBody).code)
	r := do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), fiber.HeaderContentType, "text/plain")
	assert.Equal(t, fiber.StatusUnsupportedMediaType, r.code)
	r = do(t, app, fiber.MethodPost, "/api/v1/execute", []byte(okBody), fiber.HeaderContentType, fiber.MIMEApplicationJSON, fiber.HeaderContentEncoding, "gzip")
	assert.Equal(t, fiber.StatusUnsupportedMediaType, r.code)
	_, recalled := svc.counts()
	assert.Zero(t, recalled)
}

// A key the memo no longer holds sends the request down the full path.
func TestARecalledKeyTheMemoLostIsReadAgain(t *testing.T) {
	svc := newMemoService()
	app, _ := testApp(t, svc, Config{})
	require.Equal(t, fiber.StatusOK, postJSON(t, app, okBody).code)
	svc.forget()
	require.Equal(t, fiber.StatusOK, postJSON(t, app, okBody).code)
	executed, recalled := svc.counts()
	assert.Equal(t, 2, executed)
	assert.Zero(t, recalled)
}

// A refused request is not indexed: its repeat is refused the same way.
func TestARefusedRequestIsNotRecalled(t *testing.T) {
	svc := newMemoService()
	app, _ := testApp(t, svc, Config{})
	bad := `{"harness":"hello","stub":""}`
	first := postJSON(t, app, bad)
	require.Equal(t, fiber.StatusBadRequest, first.code)
	again := postJSON(t, app, bad)
	assert.Equal(t, first.code, again.code)
	assert.Equal(t, first.problem(t).Status, again.problem(t).Status)
	_, recalled := svc.counts()
	assert.Zero(t, recalled)
}

// The index holds at most its budget's bytes, the oldest dropped first;
// a request too large for it is not kept.
func TestTheRecallIndexKeepsItsNewestEntries(t *testing.T) {
	body := func(i int) wire { return wireOf("r", []byte(fmt.Sprintf("%1000d", i))) }
	perEntry := 1001 + recallEntryOverhead
	x := newRecallIndex(64 * perEntry) // 64 entries
	for i := range 64 {
		x.put(body(i), recalled{resultKey: fmt.Sprint(i)})
	}
	x.put(body(0), recalled{resultKey: "0"}) // known: no room taken
	assert.Equal(t, 64, x.len())
	x.put(body(64), recalled{resultKey: "64"})
	assert.Equal(t, 64, x.len())
	_, ok := x.get(body(0))
	assert.False(t, ok, "the oldest went")
	for _, i := range []int{1, 63, 64} {
		r, ok := x.get(body(i))
		assert.True(t, ok)
		assert.Equal(t, fmt.Sprint(i), r.resultKey)
	}
	x.put(wireOf("r", bytes.Repeat([]byte{'d'}, perEntry)), recalled{resultKey: "big"})
	_, ok = x.get(wireOf("r", bytes.Repeat([]byte{'d'}, perEntry)))
	assert.False(t, ok, "over a 64th of the budget: not kept")
	_, ok = x.get(body(1))
	assert.True(t, ok, "and nothing dropped for it")
}

// Entries are found by their bytes: parts are compared one by one, so
// moving a byte between parts, or another route, is another request; and
// the caller's buffers may be reused after put.
func TestRecallComparesTheWholeRequest(t *testing.T) {
	x := newRecallIndex(1 << 20)
	buf := []byte("abc")
	x.put(wireOf("r", buf[:2], buf[2:]), recalled{resultKey: "K"})
	_, ok := x.get(wireOf("r", []byte("a"), []byte("bc")))
	assert.False(t, ok)
	_, ok = x.get(wireOf("q", []byte("ab"), []byte("c")))
	assert.False(t, ok)
	copy(buf, "xyz")
	r, ok := x.get(wireOf("r", []byte("ab"), []byte("c")))
	assert.True(t, ok, "kept its own copy")
	assert.Equal(t, "K", r.resultKey)
}

// Two requests whose hashes collide keep their own entries.
func TestRecallKeepsCollidingRequestsApart(t *testing.T) {
	x := newRecallIndex(1 << 20)
	a, b := wireOf("r", []byte("a")), wireOf("r", []byte("b"))
	ea := &recallEntry{wire: a, sum: 7, recalled: recalled{resultKey: "A"}}
	eb := &recallEntry{wire: b, sum: 7, recalled: recalled{resultKey: "B"}}
	// Planted under one hash: what get finds is decided by the bytes.
	x.bySum[a.sum(x.seed)] = []*recallEntry{eb, ea}
	r, ok := x.get(a)
	require.True(t, ok)
	assert.Equal(t, "A", r.resultKey)
}

// A memo hit's line is at debug level unless log_memo_hits asks for it
// at info; the metrics count it either way.
func TestMemoHitsAreLoggedAtDebugUnlessAsked(t *testing.T) {
	for _, logHits := range []bool{false, true} {
		var logs bytes.Buffer
		rec := &recorder{}
		svc := newMemoService()
		app := New(Config{LogMemoHits: logHits}, svc, slog.New(slog.NewJSONHandler(&logs, nil)), WithMetrics(rec))
		require.Equal(t, fiber.StatusOK, postJSON(t, app, okBody).code)
		require.Equal(t, fiber.StatusOK, postJSON(t, app, okBody).code)
		lines := logLines(t, &logs)
		if !logHits {
			require.Len(t, lines, 1, "the miss only: %s", &logs)
			assert.Equal(t, "", lines[0]["cache"], "the fake's miss has no tier")
		} else {
			require.Len(t, lines, 2, "%s", &logs)
			assert.Equal(t, "memory", lines[1]["cache"])
		}
		assert.Equal(t, []string{"ok hello", "ok hello"}, rec.results, "log_memo_hits=%v", logHits)
	}
}
