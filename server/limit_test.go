package server

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serve runs app on a loopback listener. Only the size limits need it:
// fasthttp refuses an over-limit request while reading it, and app.Test
// reports that as an error instead of returning the response.
func serve(t *testing.T, app *fiber.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln) }()
	t.Cleanup(func() {
		assert.NoError(t, app.ShutdownWithTimeout(5*time.Second))
		assert.NoError(t, <-done)
	})
	return "http://" + ln.Addr().String()
}

func TestBodyOverLimitIs413JSON(t *testing.T) {
	// The stub limit is above the body limit so that Fiber's own check,
	// not the service's, is the one under test.
	svc := &fakeService{resp: okResponse(), stubLimit: 4096}
	app, _ := testApp(t, svc, Config{MaxBodyBytes: 1024})
	base := serve(t, app)
	client := &http.Client{Timeout: 10 * time.Second}

	for _, tc := range []struct{ route, contentType string }{
		{"/api/v1/execute", fiber.MIMEApplicationJSON},
		{"/api/v1/run/hello", "text/plain"},
	} {
		t.Run(tc.route, func(t *testing.T) {
			body := bytes.Repeat([]byte("a"), 2048)
			resp, err := client.Post(base+tc.route, tc.contentType, bytes.NewReader(body))
			require.NoError(t, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			r := result{code: resp.StatusCode, header: resp.Header, body: b}
			p := assertProblem(t, r, fiber.StatusRequestEntityTooLarge, StatusInvalidRequest, "")
			assert.Contains(t, p.Message, "1024-byte limit")
		})
	}
	assert.Zero(t, svc.callCount())

	// Just under the limit goes through, so the 413 above is the limit's.
	resp, err := client.Post(base+"/api/v1/run/hello", "text/plain", bytes.NewReader(bytes.Repeat([]byte("a"), 1024)))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, fiber.StatusOK, resp.StatusCode)
}

func TestHeadersOverLimitIs431JSON(t *testing.T) {
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{MaxHeaderBytes: 2048})
	base := serve(t, app)
	client := &http.Client{Timeout: 10 * time.Second}

	long := base + "/api/v1/run/hello?x=" + strings.Repeat("a", 3000)
	resp, err := client.Post(long, "text/plain", strings.NewReader("fn main() {}"))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := result{code: resp.StatusCode, header: resp.Header, body: b}
	p := assertProblem(t, r, fiber.StatusRequestHeaderFieldsTooLarge, StatusInvalidRequest, "")
	assert.Contains(t, p.Message, "2048-byte limit")
	assert.Zero(t, svc.callCount())

	// A query that fits goes through, so the 431 above is the limit's.
	resp, err = client.Post(base+"/api/v1/run/hello?x="+strings.Repeat("a", 1000), "text/plain", strings.NewReader("fn main() {}"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, fiber.StatusOK, resp.StatusCode)
}
