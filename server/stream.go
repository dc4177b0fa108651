package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
)

// The streaming route (POST /api/v1/execute/stream) answers an execute
// request with Server-Sent Events: the request's progress as the service
// reports it, then exactly one terminal event, the result (execute's
// body, byte for byte) or the error (execute's error body with its HTTP
// status). Three things of fasthttp shape it:
//
//   - fasthttp sets the connection's write deadline once, WriteTimeout
//     after the handler returns, and a body stream longer than that is
//     cut without a word. The stream's writer moves the deadline before
//     each write instead, so each write has the whole write timeout and
//     a stream may last as long as the request does.
//   - fasthttp does not read the connection while the body is written,
//     so a client that leaves is seen only by a write that fails (the
//     heartbeat's, at the latest) or by watchClient's peek. Either
//     cancels the request's context: the service then gives up this
//     caller's share of the work, which goes on while an identical
//     request waits for it (sandbox's flights).
//   - the handler returns before the stream is written: a refusal that
//     comes before any progress (invalid, overloaded) is therefore
//     answered as execute answers it, with its status, and only a
//     request that made progress gets the stream.

// Event names of the stream (docs/api.md).
const (
	eventResult = "result"
	eventError  = "error"
)

// compiledEvent is the data of the compiled event.
type compiledEvent struct {
	Status      outcome.Status       `json:"status"`
	Diagnostics []outcome.Diagnostic `json:"diagnostics"`
}

// errorEvent is the data of the error event: execute's error body and
// the HTTP status execute would have answered with.
type errorEvent struct {
	Problem
	HTTPStatus int `json:"http_status"`
}

// events is what the service has told one streaming request so far, and
// how it ended: the observer appends (never blocking the service), the
// stream's writer takes.
type events struct {
	mu      sync.Mutex
	pending []sandbox.Progress
	done    bool
	resp    sandbox.Encoded
	err     error
	notify  chan struct{} // has a value when there is something new
}

func newEvents() *events { return &events{notify: make(chan struct{}, 1)} }

func (e *events) observe(p sandbox.Progress) {
	e.mu.Lock()
	e.pending = append(e.pending, p)
	e.mu.Unlock()
	e.poke()
}

func (e *events) finish(resp sandbox.Encoded, err error) {
	e.mu.Lock()
	e.done, e.resp, e.err = true, resp, err
	e.mu.Unlock()
	e.poke()
}

func (e *events) poke() {
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

// take returns the progress not yet taken, and whether (and how) the
// request has ended.
func (e *events) take() (progress []sandbox.Progress, done bool, resp sandbox.Encoded, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	progress, e.pending = e.pending, nil
	return progress, e.done, e.resp, e.err
}

// wait blocks until there is something to take.
func (e *events) wait() {
	e.mu.Lock()
	ready := e.done || len(e.pending) > 0
	e.mu.Unlock()
	if !ready {
		<-e.notify
	}
}

func (s *server) stream(c *fiber.Ctx) error {
	req, err := readExecute(c)
	if err != nil {
		return err
	}
	req.Client = clientOf(c)
	// The work outlives the handler: its context keeps the request's
	// values, not its end.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), s.cfg.RequestTimeout())
	conn := c.Context().Conn()
	ctx, stop, gone := watchClient(ctx, conn)
	ev := newEvents()
	go func() {
		resp, err := s.svc.ExecuteEncodedObserved(ctx, req, ev.observe)
		ev.finish(resp, err)
	}()

	// A refusal before any progress is answered as execute answers it.
	ev.wait()
	ev.mu.Lock()
	refused := ev.done && ev.err != nil && len(ev.pending) == 0
	ev.mu.Unlock()
	if refused {
		defer cancel()
		defer stop()
		_, _, _, err := ev.take()
		if _, coded := sandbox.AsError(err); !coded && gone() && errors.Is(err, context.Canceled) {
			return s.clientGone(c)
		}
		return s.serviceError(err)
	}

	release := keepKeySlot(c)
	requestID := requestIDOf(c)
	c.Status(fiber.StatusOK)
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no") // a proxy must pass each event on at once
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer release()
		defer cancel()
		defer stop()
		s.writeStream(w, conn, ev, cancel, requestID)
	})
	return nil
}

// writeStream writes the events as they come, and a heartbeat when
// nothing was written for the heartbeat interval, until the terminal
// event or a failed write. A failed write cancels the request.
func (s *server) writeStream(w *bufio.Writer, conn net.Conn, ev *events, cancel context.CancelFunc, requestID string) {
	heartbeat := time.NewTicker(s.cfg.StreamHeartbeat())
	defer heartbeat.Stop()
	send := func(b []byte) bool {
		// Each write gets the whole write timeout (fasthttp set one
		// deadline for the whole response).
		if conn != nil {
			_ = conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout()))
		}
		if _, err := w.Write(b); err != nil {
			cancel()
			return false
		}
		if err := w.Flush(); err != nil {
			s.log.Debug("stream client went away", "err", err)
			cancel()
			return false
		}
		heartbeat.Reset(s.cfg.StreamHeartbeat())
		return true
	}
	for first := true; ; first = false {
		if !first {
			select {
			case <-ev.notify:
			case <-heartbeat.C:
				if !send([]byte(": ping\n\n")) {
					return
				}
				continue
			}
		}
		progress, done, resp, err := ev.take()
		var out bytes.Buffer
		for _, p := range progress {
			writeEvent(&out, string(p.Phase), progressData(p))
		}
		if done {
			name, data := s.terminal(resp, err, requestID)
			if name == eventResult {
				// A result is held until the client has it: bound those
				// bytes as execute does.
				if !s.responses.Take(int64(len(data))) {
					name, data = s.terminal(sandbox.Encoded{}, &sandbox.Error{Code: sandbox.CodeOverloaded, RetryAfter: time.Second,
						Message: "the service is busy (too many bytes of results are being sent); retry shortly"}, requestID)
				} else {
					defer s.responses.Give(int64(len(data)))
				}
			}
			writeEvent(&out, name, data)
		}
		if out.Len() > 0 && !send(out.Bytes()) {
			return
		}
		if done {
			return
		}
	}
}

// progressData is the JSON data of a progress event.
func progressData(p sandbox.Progress) []byte {
	var v any = struct{}{}
	switch p.Phase {
	case sandbox.PhaseQueued:
		v = struct {
			Position int `json:"position"`
		}{p.Position}
	case sandbox.PhaseCompiled:
		ce := compiledEvent{Status: outcome.StatusOK, Diagnostics: []outcome.Diagnostic{}}
		if p.Compiled != nil {
			if !p.Compiled.Success {
				ce.Status = outcome.StatusCompileError
			}
			if p.Compiled.Diagnostics != nil {
				ce.Diagnostics = p.Compiled.Diagnostics
			}
		}
		v = ce
	}
	b, err := sandbox.EncodeJSON(v)
	if err != nil {
		return []byte("{}")
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

// terminal is the stream's last event: the result, as execute's body,
// or the error, as execute's error body with its HTTP status.
func (s *server) terminal(resp sandbox.Encoded, err error, requestID string) (string, []byte) {
	if err == nil {
		if err = checkResult(resp); err == nil {
			return eventResult, bytes.TrimSuffix(resp.Body, []byte("\n"))
		}
	} else {
		err = s.serviceError(err)
	}
	code, p := ProblemOf(err)
	p.RequestID = requestID
	if code >= fiber.StatusInternalServerError && p.Status != StatusOverloaded && !errors.Is(err, context.Canceled) {
		s.log.Error("stream failed", "request_id", requestID, "code", code, "err", err)
	}
	b, encErr := json.Marshal(errorEvent{Problem: p, HTTPStatus: code})
	if encErr != nil {
		b = []byte(`{"status":"internal_error","error":"internal error; it has been logged","http_status":500}`)
	}
	return eventError, b
}

// writeEvent writes one event: its name and one data line (the data is
// JSON without newlines).
func writeEvent(out *bytes.Buffer, name string, data []byte) {
	out.WriteString("event: ")
	out.WriteString(name)
	out.WriteString("\ndata: ")
	out.Write(data)
	out.WriteString("\n\n")
}
