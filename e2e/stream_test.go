package e2e

// The streaming route (POST /api/v1/execute/stream) through the real
// server, service, jail and engine: the phases as they happen, the
// terminal result byte for byte execute's body, refusals before the
// stream as execute answers them, a stream that outlives the write
// timeout, and a client that leaves.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/server"
)

// sseEvent is one event of a stream.
type sseEvent struct {
	Name string
	Data string
}

// sseStream reads a stream's events as they come.
type sseStream struct {
	resp *http.Response
	r    *bufio.Reader
	// Pings counts the heartbeats (comment lines) read.
	Pings int
}

// openStream posts req to the streaming route of base and returns the
// stream, or the status and body of an answer that is not one.
func openStream(t *testing.T, base string, req map[string]any) (*sseStream, int, []byte) {
	t.Helper()
	body, err := json.Marshal(req)
	require.NoError(t, err)
	hr, err := http.NewRequest(http.MethodPost, base+"/api/v1/execute/stream", bytes.NewReader(body))
	require.NoError(t, err)
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "text/event-stream")
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(hr)
	require.NoError(t, err)
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return nil, resp.StatusCode, b
	}
	require.Equal(t, http.StatusOK, resp.StatusCode)
	t.Cleanup(func() { resp.Body.Close() })
	return &sseStream{resp: resp, r: bufio.NewReader(resp.Body)}, resp.StatusCode, nil
}

// next reads the next event; io.EOF at the end of the stream.
func (s *sseStream) next() (sseEvent, error) {
	var ev sseEvent
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			if err == io.EOF && line == "" && ev.Name == "" {
				return ev, io.EOF
			}
			return ev, err
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.Name != "" {
				return ev, nil
			}
		case strings.HasPrefix(line, ":"):
			s.Pings++
		case strings.HasPrefix(line, "event: "):
			ev.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.Data = strings.TrimPrefix(line, "data: ")
		default:
			return ev, errors.New("not a line of a stream: " + line)
		}
	}
}

// all reads the rest of the stream, checking that it ends right after
// its one terminal event.
func (s *sseStream) all(t *testing.T) []sseEvent {
	t.Helper()
	var out []sseEvent
	for {
		ev, err := s.next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		out = append(out, ev)
	}
	require.NotEmpty(t, out)
	for _, ev := range out[:len(out)-1] {
		assert.NotContains(t, []string{"result", "error"}, ev.Name, "one terminal event, the last")
	}
	assert.Contains(t, []string{"result", "error"}, out[len(out)-1].Name)
	return out
}

// until reads events up to and including the first named name.
func (s *sseStream) until(t *testing.T, name string) []sseEvent {
	t.Helper()
	var out []sseEvent
	for {
		ev, err := s.next()
		require.NoError(t, err, "stream ended before %q; got %v", name, out)
		out = append(out, ev)
		if ev.Name == name {
			return out
		}
	}
}

func names(evs []sseEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Name)
	}
	return out
}

// withoutQueued drops the queued events, which come only when the
// service is busy.
func withoutQueued(evs []sseEvent) []sseEvent {
	var out []sseEvent
	for _, ev := range evs {
		if ev.Name != "queued" {
			out = append(out, ev)
		}
	}
	return out
}

// A cold request streams compiling, compiled, running and its result;
// the result is what execute answers (its volatile fields aside, as it
// was computed once); a memoized request streams only its result, byte
// for byte execute's body.
func TestStreamPhasesEndWithExecutesBody(t *testing.T) {
	req := map[string]any{"harness": "program", "stub": readTestdata(t, "hello.rs") + "// stream phases\n"}
	st, _, _ := openStream(t, baseURL, req)
	evs := withoutQueued(st.all(t))
	require.Equal(t, []string{"compiling", "compiled", "running", "result"}, names(evs))
	assert.Equal(t, "{}", evs[0].Data)
	assert.JSONEq(t, `{"status":"ok","diagnostics":[]}`, evs[1].Data)
	assert.Equal(t, "{}", evs[2].Data)
	r := decodeResponse(t, []byte(evs[3].Data))
	assert.Equal(t, outcome.StatusOK, r.Status)
	assert.Contains(t, r.Run.Stdout, `Some("Hello, world!")`)

	_, raw := execute(t, req)
	assert.Equal(t, normalize(t, raw), normalize(t, []byte(evs[3].Data)), "the result is execute's answer")

	st, _, _ = openStream(t, baseURL, req)
	evs = st.all(t)
	require.Equal(t, []string{"result"}, names(evs), "a memoized answer has no phases")
	_, raw = execute(t, req)
	assert.Equal(t, string(raw), evs[0].Data+"\n", "byte for byte execute's body (the stream's line end aside)")
}

// A compile error's diagnostics come with the compiled event, at the
// stub's lines, the same objects as the result's.
func TestStreamCompiledEventCarriesDiagnostics(t *testing.T) {
	st, _, _ := openStream(t, baseURL, map[string]any{"harness": "program", "stub": readTestdata(t, "compile_error.rs") + "// stream\n"})
	evs := withoutQueued(st.all(t))
	require.Equal(t, []string{"compiling", "compiled", "result"}, names(evs), "nothing runs after a failed compile")
	var compiled struct {
		Status      string               `json:"status"`
		Diagnostics []outcome.Diagnostic `json:"diagnostics"`
	}
	require.NoError(t, json.Unmarshal([]byte(evs[1].Data), &compiled))
	assert.Equal(t, "compile_error", compiled.Status)
	require.NotEmpty(t, compiled.Diagnostics)
	assert.Equal(t, 2, compiled.Diagnostics[0].Line)
	r := decodeResponse(t, []byte(evs[2].Data))
	assert.Equal(t, outcome.StatusCompileError, r.Status)
	assert.Equal(t, r.Compile.Diagnostics, compiled.Diagnostics)
}

// A refusal found before the stream starts is execute's JSON error with
// its status; one found later is the error event with that status.
func TestStreamRefusalsBeforeTheStreamAreJSON(t *testing.T) {
	_, code, body := openStream(t, baseURL, map[string]any{"harness": "nope", "stub": "fn main() {}"})
	assert.Equal(t, http.StatusNotFound, code)
	p := decodeProblem(t, body)
	assert.Equal(t, server.StatusInvalidRequest, p.Status)
	assert.Equal(t, "harness", p.Field)

	_, code, body = openStream(t, baseURL, map[string]any{"harness": "program", "stub": "fn main() {}", "args": map[string]any{"stdin": 5}})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, server.StatusInvalidRequest, decodeProblem(t, body).Status)
}

// startServer serves svc with cfg on a loopback port of its own.
func startServer(t *testing.T, cfg server.Config, svc server.Service) string {
	t.Helper()
	srv := server.New(cfg, svc, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go srv.Listener(ln)
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

// fasthttp would cut a response body still being written WriteTimeout
// after the handler returned; a stream gives each write the whole write
// timeout instead, so a stream that outlives it (a run to its 3 s
// deadline against a 200 ms write timeout) ends with its result,
// heartbeats keeping it alive meanwhile.
func TestStreamOutlivesTheWriteTimeout(t *testing.T) {
	const writeTimeout = 200 * time.Millisecond
	base := startServer(t, server.Config{WriteTimeoutMS: writeTimeout.Milliseconds(), StreamHeartbeatMS: 50}, service(t))
	start := time.Now()
	st, _, _ := openStream(t, base, map[string]any{"harness": "program", "stub": loopForever + "// outlives the write timeout\n"})
	evs := st.all(t)
	require.Greater(t, time.Since(start), 2*writeTimeout, "the test means something only if the stream outlives the write timeout")
	require.Equal(t, "result", evs[len(evs)-1].Name, "%v", evs)
	assert.Equal(t, outcome.StatusTimeout, decodeResponse(t, []byte(evs[len(evs)-1].Data)).Status, "the run went on to its deadline")
	assert.Positive(t, st.Pings, "heartbeats while nothing else was sent")
}

// spyService records how each of its streamed calls ended.
type spyService struct {
	*sandbox.Service
	ended chan error
}

func (s *spyService) ExecuteEncodedObserved(ctx context.Context, req sandbox.Request, obs sandbox.Observer) (sandbox.Encoded, error) {
	resp, err := s.Service.ExecuteEncodedObserved(ctx, req, obs)
	s.ended <- err
	return resp, err
}

// loopForever runs until the run's deadline (3 s here): a result, a
// timeout, unless its caller's share is canceled first.
const loopForever = "fn main() {\n    let mut n: u64 = 0;\n    loop {\n        n = std::hint::black_box(n.wrapping_add(1));\n    }\n}\n"

// A client that leaves during the run is found out (a failed write, or
// the peek at its connection) and its share of the work is canceled: the
// service's call ends with the cancellation, not with the run's result.
func TestStreamClientLeavingCancelsItsShare(t *testing.T) {
	spy := &spyService{Service: service(t), ended: make(chan error, 1)}
	base := startServer(t, server.Config{StreamHeartbeatMS: 50}, spy)
	st, _, _ := openStream(t, base, map[string]any{"harness": "program", "stub": loopForever + "// leaves\n"})
	st.until(t, "running")
	require.NoError(t, st.resp.Body.Close())
	select {
	case err := <-spy.ended:
		assert.ErrorIs(t, err, context.Canceled, "the call ended because its client left, not with the run's result")
	case <-time.After(2 * time.Minute):
		t.Fatal("the call did not end")
	}
}

// Two clients streaming the same request share one run; when the first
// leaves, the run goes on for the second, who gets its result.
func TestStreamAnotherWaiterKeepsTheWorkAlive(t *testing.T) {
	req := map[string]any{"harness": "program", "stub": loopForever + "// shared\n"}
	first, _, _ := openStream(t, baseURL, req)
	first.until(t, "running")
	second, _, _ := openStream(t, baseURL, req)
	var wg sync.WaitGroup
	var evs []sseEvent
	wg.Go(func() { evs = second.all(t) })
	// The second joined the first's run: it is told where that is.
	require.NoError(t, first.resp.Body.Close())
	wg.Wait()
	assert.Equal(t, []string{"compiled", "running", "result"}, names(evs), "the second joined the run in progress")
	r := decodeResponse(t, []byte(evs[len(evs)-1].Data))
	assert.Equal(t, outcome.StatusTimeout, r.Status, "the run went on to its deadline")
}

// A refusal after the stream began is the error event: execute's error
// body with the HTTP status execute would have answered (the request's
// deadline passing during a run: timeout, 504).
func TestStreamErrorEventCarriesTheStatus(t *testing.T) {
	base := startServer(t, server.Config{RequestTimeoutMS: 1000}, service(t))
	st, _, _ := openStream(t, base, map[string]any{"harness": "program", "stub": loopForever + "// past the request deadline\n"})
	evs := st.all(t)
	last := evs[len(evs)-1]
	require.Equal(t, "error", last.Name, "%v", evs)
	var e struct {
		server.Problem
		HTTPStatus int `json:"http_status"`
	}
	dec := json.NewDecoder(strings.NewReader(last.Data))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&e), "%s", last.Data)
	assert.Equal(t, server.StatusTimeout, e.Status)
	assert.Equal(t, http.StatusGatewayTimeout, e.HTTPStatus)
	assert.NotEmpty(t, e.Message)
	assert.NotEmpty(t, e.RequestID, "the request's id, as in an error body")
}
