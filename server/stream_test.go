package server

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// progressingService tells compiling, then holds the call until release
// is closed.
type progressingService struct {
	fakeService
	release chan struct{}
}

func (p *progressingService) ExecuteEncodedObserved(ctx context.Context, req sandbox.Request, obs sandbox.Observer) (sandbox.Encoded, error) {
	if err := req.Validate(sandbox.DefaultMaxStubBytes); err != nil {
		return sandbox.Encoded{}, err
	}
	obs(sandbox.Progress{Phase: sandbox.PhaseCompiling})
	select {
	case <-p.release:
		return encoded(okResponse(), nil)
	case <-ctx.Done():
		return sandbox.Encoded{}, ctx.Err()
	}
}

func listen(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go app.Listener(ln)
	t.Cleanup(func() { _ = app.Shutdown() })
	return "http://" + ln.Addr().String()
}

// A stream keeps its place in its API key's concurrency limit until it
// ends, not only until the handler returns; a refusal found before any
// progress is the usual JSON error.
func TestStreamHoldsItsKeySlotUntilItEnds(t *testing.T) {
	svc := &progressingService{release: make(chan struct{})}
	app, _ := testApp(t, svc, Config{APIKeys: []APIKey{{Name: "docs", TokenSHA256: digest("k"), MaxConcurrent: 1}}})
	base := listen(t, app)
	post := func(path, body string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer k")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	stream := post(routeStream, okBody)
	defer stream.Body.Close()
	require.Equal(t, "text/event-stream", stream.Header.Get("Content-Type"))
	r := bufio.NewReader(stream.Body)
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "event: compiling\n", line)

	busy := post(routeExecute, okBody)
	busy.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, busy.StatusCode, "the stream still holds the key's one place")

	close(svc.release)
	var rest strings.Builder
	for {
		l, err := r.ReadString('\n')
		rest.WriteString(l)
		if err != nil {
			break
		}
	}
	assert.Contains(t, rest.String(), "event: result\ndata: {")

	refused := post(routeStream, `{"harness":"x","stub":""}`)
	refused.Body.Close()
	assert.Equal(t, http.StatusBadRequest, refused.StatusCode, "the stream gave its place back; a refusal before progress is JSON")
	assert.Equal(t, fiber.MIMEApplicationJSON, refused.Header.Get("Content-Type"))
}
