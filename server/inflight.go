package server

import (
	"bytes"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/budget"
)

// What a request holds after it has its answer, and what it keeps busy
// after its client has gone, are bounded here: results being written
// count against a byte budget, and a request whose client disconnects
// has its context canceled, which the service passes on to the work
// (the work itself goes on while another identical request waits for
// it: see sandbox's flights).

// disconnectPoll is how often a request in progress looks whether its
// client has gone. fasthttp, unlike net/http, does not read the
// connection while a handler runs, so nothing else would notice.
const disconnectPoll = 200 * time.Millisecond

// watchClient returns ctx canceled also when the peer of conn closes its
// side of the connection, and the func that stops watching; gone says
// whether that is why ctx ended. A connection that is not a system one
// (app.Test's) is not watched.
func watchClient(ctx context.Context, conn net.Conn) (watched context.Context, stop func(), gone func() bool) {
	ctx, cancel := context.WithCancel(ctx)
	var isGone atomic.Bool
	gone = isGone.Load
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return ctx, cancel, gone
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return ctx, cancel, gone
	}
	go func() {
		t := time.NewTicker(disconnectPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if peerClosed(raw) {
				isGone.Store(true)
				cancel()
				return
			}
		}
	}()
	return ctx, cancel, gone
}

// peerClosed peeks at the connection without consuming anything: an
// orderly end of stream or a reset means the client has gone; data (a
// pipelined request) or nothing yet means it is still there. Go's
// net/http takes the same end of stream as the client going away. The
// peek runs under Control, not Read: fasthttp's read deadline for the
// request stays set while the handler runs, and Read would fail on it
// once it passes, though the client is still there.
func peerClosed(raw syscall.RawConn) bool {
	var closed bool
	var buf [1]byte
	err := raw.Control(func(fd uintptr) {
		n, _, err := unix.Recvfrom(int(fd), buf[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		switch {
		case err == nil:
			closed = n == 0
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
		default:
			closed = true
		}
	})
	return closed || err != nil
}

// heldBody is a response body that holds its bytes in the budget until
// fasthttp has written it (or given up on the connection): fasthttp
// closes a body stream in either case.
type heldBody struct {
	*bytes.Reader
	release func()
}

func (h *heldBody) Close() error {
	h.release()
	return nil
}

func newHeldBody(body []byte, b *budget.Bytes) *heldBody {
	n := int64(len(body))
	var once sync.Once
	return &heldBody{Reader: bytes.NewReader(body), release: func() { once.Do(func() { b.Give(n) }) }}
}
