package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// rawPost opens a connection to addr with a small receive buffer (so
// the server cannot push a large answer into the kernel) and sends a
// POST of the execute route on it.
func rawPost(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	conn, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = fmt.Fprintf(conn, "POST /api/v1/execute HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, len(okBody), okBody)
	require.NoError(t, err)
	return conn
}

// Issue 14, item 6: results being written to slow readers are bounded in
// bytes: while one reader holds a 16 MiB answer, another that would go
// over the 24 MiB bound is refused 503 instead of held; once the first
// has read it, there is room again.
func TestResponseBytesInFlightAreBounded(t *testing.T) {
	resp := okResponse()
	resp.Run.Stdout = strings.Repeat("a", 16<<20)
	svc := &fakeService{resp: resp}
	srv, app := build(Config{MaxResponseBytesInFlight: 24 << 20}, svc, nil)
	base := serve(t, app)
	addr := strings.TrimPrefix(base, "http://")

	slow := rawPost(t, addr)
	require.Eventually(t, func() bool { return srv.responses.InUse() > 16<<20 }, 10*time.Second, time.Millisecond,
		"the slow reader's answer is held")

	client := &http.Client{Timeout: 30 * time.Second}
	r, err := client.Post(base+"/api/v1/execute", fiber.MIMEApplicationJSON, strings.NewReader(okBody))
	require.NoError(t, err)
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	assert.Equal(t, fiber.StatusServiceUnavailable, r.StatusCode, "%.200s", body)
	assert.Contains(t, string(body), "bytes of results")
	assert.Equal(t, "1", r.Header.Get(fiber.HeaderRetryAfter))

	got, err := http.ReadResponse(bufio.NewReader(slow), nil)
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, got.Body)
	require.NoError(t, err)
	assert.Greater(t, n, int64(16<<20), "the slow reader gets its whole answer")
	require.Eventually(t, func() bool { return srv.responses.InUse() == 0 }, 10*time.Second, time.Millisecond,
		"a written answer gives its bytes back")

	r, err = client.Post(base+"/api/v1/execute", fiber.MIMEApplicationJSON, strings.NewReader(okBody))
	require.NoError(t, err)
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	assert.Equal(t, fiber.StatusOK, r.StatusCode)
}

// watchingService records how each call's context ended.
type watchingService struct {
	fakeService
	started chan struct{}
	ended   chan error
}

func (w *watchingService) Execute(ctx context.Context, _ sandbox.Request) (sandbox.Response, error) {
	w.started <- struct{}{}
	select {
	case <-ctx.Done():
		w.ended <- ctx.Err()
		return sandbox.Response{}, ctx.Err()
	case <-time.After(time.Minute):
		w.ended <- nil
		return okResponse(), nil
	}
}

// Issue 14, item 6: a client that disconnects has its request's context
// canceled, so the service can stop the work nobody waits for.
func TestClientDisconnectCancelsTheRequest(t *testing.T) {
	svc := &watchingService{started: make(chan struct{}, 1), ended: make(chan error, 1)}
	logs := &lockedBuffer{}
	app := New(Config{RequestTimeoutMS: 120_000}, svc, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	base := serve(t, app)
	conn := rawPost(t, strings.TrimPrefix(base, "http://"))
	<-svc.started
	require.NoError(t, conn.Close())
	select {
	case err := <-svc.ended:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(30 * time.Second):
		t.Fatal("the request's context was not canceled when its client went away")
	}
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "client went away") }, 10*time.Second, time.Millisecond)
	assert.NotContains(t, logs.String(), "level=ERROR", "a client going away is not the service's failure")
}

// lockedBuffer is a log the handler writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// slowService answers after a while, unless its context ends first.
type slowService struct {
	fakeService
	after time.Duration
}

func (s *slowService) Execute(ctx context.Context, _ sandbox.Request) (sandbox.Response, error) {
	select {
	case <-time.After(s.after):
		return okResponse(), nil
	case <-ctx.Done():
		return sandbox.Response{}, ctx.Err()
	}
}

// A client that stays is not taken for gone when the request outlives
// fasthttp's read deadline, which stays set while the handler runs.
func TestAClientThatStaysIsServedPastTheReadTimeout(t *testing.T) {
	app, _ := testApp(t, &slowService{after: 5 * disconnectPoll}, Config{ReadTimeoutMS: 50})
	base := serve(t, app)
	r, err := (&http.Client{Timeout: 30 * time.Second}).Post(base+"/api/v1/execute", fiber.MIMEApplicationJSON, strings.NewReader(okBody))
	require.NoError(t, err)
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	assert.Equal(t, fiber.StatusOK, r.StatusCode)
}

func (w *watchingService) ExecuteEncoded(ctx context.Context, req sandbox.Request) (sandbox.Encoded, error) {
	return encoded(w.Execute(ctx, req))
}

func (s *slowService) ExecuteEncoded(ctx context.Context, req sandbox.Request) (sandbox.Encoded, error) {
	return encoded(s.Execute(ctx, req))
}
