package runtime

import (
	"context"
	"fmt"
	"slices"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// VsockModule is the import module name of the virtual socket: the host side
// of the listener a guest web server accepts connections on. All functions
// take and return i32:
//
//	accept() -> id         next queued connection (0, 1, 2, ...), or -1 when
//	                       none is left (none will ever arrive)
//	recv(id, ptr, len) -> n  copies up to len request bytes to ptr; n > 0 bytes,
//	                       -1 when all were delivered but the response is not
//	                       complete yet ("would block"), 0 (EOF) once it is
//	                       complete or the guest closed the connection
//	send(id, ptr, len) -> len  appends guest bytes to the response
//	close(id) -> 0         the guest closed the connection
//
// Any of them returns -2 for an id that was never accepted and for a pointer
// and length outside guest memory; send also for a closed connection. A
// zero-length recv returns 0, as read(2) does.
const VsockModule = "sandbox_vsock"

// Return codes of the vsock functions.
const (
	vsockNone    int32 = -1 // accept: no connection left; recv: would block
	vsockInvalid int32 = -2 // unknown connection or bad pointer
)

// vsockConn is one connection's host-side state.
type vsockConn struct {
	request   []byte
	delivered int
	response  []byte
	closed    bool
	// tracker follows the response (Job.TrackResponse); complete is its
	// last answer. Each sent byte is given to it once, so deciding when
	// a response is whole is linear in its size, not re-done per poll.
	tracker  ResponseTracker
	complete bool
}

// vsockState is one run's virtual socket. It lives in the run's context, and
// the host module, which is shared by every run of a wazero runtime, looks
// it up there on every call: a run can only ever see its own connections.
// It is used only from the guest's goroutine.
type vsockState struct {
	conns    []vsockConn
	accepted int
	// limit caps the total of all responses, like stdout; total is what
	// was kept so far, truncated whether anything was dropped.
	limit     int64
	total     int64
	truncated bool
	// track is Job.TrackResponse.
	track func() ResponseTracker
	// hostErr is a failure of the host's own code (a response tracker
	// panicked); it makes Run return an error, not a guest result.
	hostErr error
	stop    func(cause error)
}

func newVsockState(requests [][]byte, limit int64, track func() ResponseTracker, stop func(error)) *vsockState {
	s := &vsockState{
		conns: make([]vsockConn, len(requests)),
		limit: limit,
		track: track,
		stop:  stop,
	}
	for i, r := range requests {
		s.conns[i].request = r
	}
	return s
}

// runStateKey is the context key of a run's host state of type T: the
// host modules are shared by every run of a wazero runtime, and find the
// calling run's state in the call's context.
type runStateKey[T any] struct{}

func withRunState[T any](ctx context.Context, s *T) context.Context {
	return context.WithValue(ctx, runStateKey[T]{}, s)
}

// runState is the calling run's state of type T, or nil.
func runState[T any](ctx context.Context) *T {
	s, _ := ctx.Value(runStateKey[T]{}).(*T)
	return s
}

// conn returns an accepted connection, or nil.
func (s *vsockState) conn(id int32) *vsockConn {
	if id < 0 || int(id) >= s.accepted {
		return nil
	}
	return &s.conns[id]
}

func (s *vsockState) accept() int32 {
	if s.accepted >= len(s.conns) {
		return vsockNone
	}
	c := &s.conns[s.accepted]
	s.accepted++
	if s.track != nil {
		s.guard(func() { c.tracker = s.track() })
	}
	return int32(s.accepted - 1)
}

// guard runs host code that is not the runtime's own (a tracker), turning
// a panic into the run's host error: it is our bug, not the guest's.
func (s *vsockState) guard(f func()) {
	defer func() {
		if r := recover(); r != nil && s.hostErr == nil {
			s.hostErr = fmt.Errorf("runtime: response tracker panicked: %v", r)
			s.stop(s.hostErr)
		}
	}()
	f()
}

func (s *vsockState) recv(mod api.Module, id int32, ptr, n uint32) int32 {
	c := s.conn(id)
	if c == nil {
		return vsockInvalid
	}
	buf, ok := guestBytes(mod, ptr, n)
	if !ok {
		return vsockInvalid
	}
	if c.closed || n == 0 {
		return 0
	}
	if rest := c.request[c.delivered:]; len(rest) > 0 {
		k := copy(buf, rest)
		c.delivered += k
		return int32(k)
	}
	// Without a tracker a connection is done once its request is
	// delivered; with one, once the tracker says the response is whole.
	if c.tracker == nil || c.complete || s.hostErr != nil {
		return 0
	}
	return vsockNone
}

func (s *vsockState) send(mod api.Module, id int32, ptr, n uint32) int32 {
	c := s.conn(id)
	if c == nil || c.closed {
		return vsockInvalid
	}
	data, ok := guestBytes(mod, ptr, n)
	if !ok {
		return vsockInvalid
	}
	// Past the shared budget the bytes are dropped and the run stopped,
	// but the guest is told they were sent, for the same reason as for
	// stdout: its own error path must not become the visible outcome.
	if room := s.limit - s.total; int64(len(data)) > room {
		data = data[:max(room, 0)]
		if !s.truncated {
			s.truncated = true
			s.stop(errOutputLimit)
		}
	}
	c.response = append(c.response, data...)
	s.total += int64(len(data))
	if c.tracker != nil && !c.complete && len(data) > 0 {
		// The host's copy, not guest memory: it never changes, so a
		// tracker may keep it.
		sent := slices.Clip(c.response[len(c.response)-len(data):])
		s.guard(func() { c.complete = c.tracker.Sent(sent) })
	}
	return int32(n)
}

// guestBytes returns the guest memory at [ptr, ptr+n), or false if any of it
// is outside the memory, if the module has none, or if n does not fit the
// i32 result. Hostile values must never panic the host.
func guestBytes(mod api.Module, ptr, n uint32) (b []byte, ok bool) {
	if int32(n) < 0 || mod == nil {
		return nil, false
	}
	mem := mod.Memory()
	if mem == nil {
		return nil, false
	}
	// A module without a memory yields a typed nil here, which panics on
	// use; recovering covers that and any other surprise the same way.
	defer func() {
		if recover() != nil {
			b, ok = nil, false
		}
	}()
	return mem.Read(ptr, n)
}

func (s *vsockState) close(id int32) int32 {
	c := s.conn(id)
	if c == nil {
		return vsockInvalid
	}
	c.closed = true
	return 0
}

// results returns each connection's response, in Job.Connections order.
func (s *vsockState) results() [][]byte {
	if len(s.conns) == 0 {
		return nil
	}
	out := make([][]byte, len(s.conns))
	for i := range s.conns {
		out[i] = s.conns[i].response
		if out[i] == nil {
			out[i] = []byte{}
		}
	}
	return out
}

// instantiateVsock registers the shared host module on r.
func instantiateVsock(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(VsockModule)
	exportI32(b, "accept", nil, "conn", func(ctx context.Context, _ api.Module, _ []uint64) int32 {
		if s := runState[vsockState](ctx); s != nil {
			return s.accept()
		}
		return vsockNone
	})
	exportI32(b, "recv", []string{"conn", "buf_ptr", "buf_len"}, "n", func(ctx context.Context, mod api.Module, args []uint64) int32 {
		if s := runState[vsockState](ctx); s != nil {
			return s.recv(mod, api.DecodeI32(args[0]), api.DecodeU32(args[1]), api.DecodeU32(args[2]))
		}
		return vsockInvalid
	})
	exportI32(b, "send", []string{"conn", "ptr", "len"}, "n", func(ctx context.Context, mod api.Module, args []uint64) int32 {
		if s := runState[vsockState](ctx); s != nil {
			return s.send(mod, api.DecodeI32(args[0]), api.DecodeU32(args[1]), api.DecodeU32(args[2]))
		}
		return vsockInvalid
	})
	exportI32(b, "close", []string{"conn"}, "result", func(ctx context.Context, _ api.Module, args []uint64) int32 {
		if s := runState[vsockState](ctx); s != nil {
			return s.close(api.DecodeI32(args[0]))
		}
		return vsockInvalid
	})
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("runtime: instantiate %s host module: %w", VsockModule, err)
	}
	return nil
}

// exportI32 adds to b a host function named name that takes i32
// parameters with the given names and returns one i32, computed by f
// from the arguments.
func exportI32(b wazero.HostModuleBuilder, name string, params []string, result string, f func(ctx context.Context, mod api.Module, args []uint64) int32) {
	types := make([]api.ValueType, len(params))
	for i := range types {
		types[i] = api.ValueTypeI32
	}
	b.NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			stack[0] = api.EncodeI32(f(ctx, mod, stack))
		}), types, []api.ValueType{api.ValueTypeI32}).
		WithParameterNames(params...).WithResultNames(result).
		Export(name)
}
