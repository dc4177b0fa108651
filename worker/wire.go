package worker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// The wire: each message is one frame, a 4-byte big-endian length of
// what follows, a type byte and the payload. Payloads are a fixed
// sequence of fields per type, each a uvarint, a byte string (uvarint
// length+1, 0 meaning nil, then the bytes), a list of byte strings
// (uvarint count+1, then each) or a fixed 32 bytes. Nothing is
// self-describing and nothing is optional: a decoder reads exactly the
// fields of the type, checks each against what the other side may send,
// and refuses trailing bytes. The server decodes what a worker sends as
// hostile input: a worker runs guest code.

// protocolVersion is sent in msgReady; a worker of another build is
// refused.
const protocolVersion = 1

// Message types.
const (
	// server → worker
	msgConfigure byte = 1 // the engine's configuration, once, first
	msgLoad      byte = 2 // a module's bytes, under its identity
	msgRun       byte = 3 // run a loaded module
	msgCancel    byte = 4 // stop the run in progress (its seq)
	// worker → server
	msgReady  byte = 5 // set up, speaking protocolVersion
	msgResult byte = 6 // what a run did
)

// frameHeaderBytes is the length prefix.
const frameHeaderBytes = 4

// readFrame reads one frame of at most maxBytes (type and payload). The
// payload is read as it arrives, so a length the peer does not back with
// bytes costs nothing.
func readFrame(r io.Reader, maxBytes int64) (typ byte, payload []byte, err error) {
	var hdr [frameHeaderBytes]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[:]))
	if n < 1 || n > maxBytes {
		return 0, nil, fmt.Errorf("worker: frame of %d bytes (1..%d)", n, maxBytes)
	}
	buf := make([]byte, 0, min(n, 1<<20))
	for int64(len(buf)) < n {
		chunk := min(n-int64(len(buf)), 1<<20)
		start := len(buf)
		buf = append(buf, make([]byte, chunk)...)
		if _, err := io.ReadFull(r, buf[start:]); err != nil {
			return 0, nil, fmt.Errorf("worker: truncated frame: %w", err)
		}
	}
	return buf[0], buf[1:], nil
}

// writeFrame writes one frame.
func writeFrame(w io.Writer, typ byte, payload []byte) error {
	buf := make([]byte, frameHeaderBytes+1, frameHeaderBytes+1+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(1+len(payload)))
	buf[frameHeaderBytes] = typ
	_, err := w.Write(append(buf, payload...))
	return err
}

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) fixed(v [32]byte) { e.b = append(e.b, v[:]...) }
func (e *encoder) bytes(v []byte) {
	if v == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(v)) + 1)
	e.b = append(e.b, v...)
}
func (e *encoder) str(v string) { e.uvarint(uint64(len(v))); e.b = append(e.b, v...) }
func (e *encoder) list(v [][]byte) {
	if v == nil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(len(v)) + 1)
	for _, b := range v {
		e.bytes(b)
	}
}

// decoder reads fields until the first error, which it keeps.
type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("worker: message ends inside a field")

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bool() bool {
	switch v := d.uvarint(); v {
	case 0, 1:
		return v == 1
	default:
		d.fail(fmt.Errorf("worker: %d is not a boolean", v))
		return false
	}
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) fixed() (v [32]byte) {
	copy(v[:], d.take(32))
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	return append([]byte{}, d.take(n-1)...)
}

func (d *decoder) str() string { return string(d.take(d.uvarint())) }

func (d *decoder) list() [][]byte {
	n := d.uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	// Every element is at least one byte: a count beyond what is left
	// is a lie, refused before anything is allocated for it.
	if n-1 > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	out := make([][]byte, n-1)
	for i := range out {
		out[i] = d.bytes()
	}
	return out
}

// nonNegative reads a uvarint that must fit an int64.
func (d *decoder) nonNegative(what string) int64 {
	v := d.uvarint()
	if v > 1<<62 {
		d.fail(fmt.Errorf("worker: %s %d out of range", what, v))
		return 0
	}
	return int64(v)
}

// end refuses trailing bytes and returns the first error.
func (d *decoder) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Errorf("worker: %d bytes after the message", len(d.b)))
	}
	return d.err
}

// moduleID names a module: the SHA-256 of its bytes.
type moduleID = [32]byte

// runMsg asks a worker to run a loaded module.
type runMsg struct {
	Seq         uint64
	Module      moduleID
	Seed        [32]byte
	Stdin       []byte
	Args        []string
	Limits      wasmrt.Limits
	Connections [][]byte
	// Track says the run's connections are followed by the worker's
	// response tracker (the serve harness's HTTP/1.1 framer, the only
	// kind there is): the protocol carries data, never code.
	Track bool
}

func (m runMsg) encode() []byte {
	var e encoder
	e.uvarint(m.Seq)
	e.fixed(m.Module)
	e.fixed(m.Seed)
	e.bytes(m.Stdin)
	args := make([][]byte, len(m.Args))
	for i, a := range m.Args {
		args[i] = []byte(a)
	}
	if m.Args == nil {
		args = nil
	}
	e.list(args)
	e.varint(m.Limits.MemoryLimitBytes)
	e.varint(int64(m.Limits.Timeout))
	e.varint(m.Limits.StdoutLimitBytes)
	e.varint(m.Limits.StderrLimitBytes)
	e.list(m.Connections)
	e.bool(m.Track)
	return e.b
}

func decodeRun(p []byte) (runMsg, error) {
	d := decoder{b: p}
	var m runMsg
	m.Seq = d.uvarint()
	m.Module = d.fixed()
	m.Seed = d.fixed()
	m.Stdin = d.bytes()
	if args := d.list(); args != nil {
		m.Args = make([]string, len(args))
		for i, a := range args {
			m.Args[i] = string(a)
		}
	}
	m.Limits.MemoryLimitBytes = d.varint()
	m.Limits.Timeout = time.Duration(d.varint())
	m.Limits.StdoutLimitBytes = d.varint()
	m.Limits.StderrLimitBytes = d.varint()
	m.Connections = d.list()
	m.Track = d.bool()
	return m, d.end()
}

func encodeLoad(id moduleID, module []byte) []byte {
	var e encoder
	e.fixed(id)
	e.bytes(module)
	return e.b
}

func decodeLoad(p []byte) (moduleID, []byte, error) {
	d := decoder{b: p}
	id := d.fixed()
	module := d.bytes()
	return id, module, d.end()
}

func encodeSeq(seq uint64) []byte {
	var e encoder
	e.uvarint(seq)
	return e.b
}

func decodeSeq(p []byte) (uint64, error) {
	d := decoder{b: p}
	seq := d.uvarint()
	return seq, d.end()
}

// What became of a run request, as the worker saw it.
const (
	resultOK            byte = iota // Result holds what the guest did
	resultUnknownModule             // the worker does not hold the module: load it and ask again
	resultInvalidModule             // the bytes are not a runnable module (runtime.ErrInvalidModule)
	resultFailed                    // the worker's engine failed (or the run was canceled)
)

// resultMsg is a worker's answer to one runMsg.
type resultMsg struct {
	Seq     uint64
	Status  byte
	Message string // for the failures
	Result  wasmrt.Result
}

func (m resultMsg) encode() []byte {
	var e encoder
	e.uvarint(m.Seq)
	e.uvarint(uint64(m.Status))
	e.str(m.Message)
	r := m.Result
	e.bool(r.ExitCode != nil)
	if r.ExitCode != nil {
		e.varint(int64(*r.ExitCode))
	}
	e.str(r.Trap)
	e.str(string(r.Limit))
	e.bytes(r.Stdout)
	e.bytes(r.Stderr)
	e.list(r.Responses)
	e.list(r.Records)
	for _, b := range []bool{r.RecordsForged, r.StdoutTruncated, r.StderrTruncated, r.ResponsesTruncated, r.RecordsTruncated} {
		e.bool(b)
	}
	e.uvarint(uint64(max(r.Duration, 0)))
	e.uvarint(uint64(max(r.CPU, 0)))
	e.uvarint(uint64(max(r.PeakMemoryBytes, 0)))
	return e.b
}

// maxTrapBytes bounds a trap message and a failure's message: wazero's
// trap text and stack trace are far shorter.
const maxTrapBytes = 1 << 20

func decodeResult(p []byte) (resultMsg, error) {
	d := decoder{b: p}
	var m resultMsg
	m.Seq = d.uvarint()
	st := d.uvarint()
	if st > uint64(resultFailed) {
		d.fail(fmt.Errorf("worker: unknown result status %d", st))
	}
	m.Status = byte(st)
	m.Message = d.str()
	r := &m.Result
	if d.bool() {
		v := d.varint()
		if v < -1<<31 || v > 1<<31-1 {
			d.fail(fmt.Errorf("worker: exit code %d out of range", v))
		}
		r.ExitCode = new(int32(v))
	}
	r.Trap = d.str()
	switch l := outcome.Limit(d.str()); l {
	case outcome.LimitNone, outcome.LimitTime, outcome.LimitMemory, outcome.LimitOutput:
		r.Limit = l
	default:
		d.fail(fmt.Errorf("worker: unknown limit %q", l))
	}
	if len(m.Message) > maxTrapBytes || len(r.Trap) > maxTrapBytes {
		d.fail(errors.New("worker: message too long"))
	}
	r.Stdout = d.bytes()
	r.Stderr = d.bytes()
	r.Responses = d.list()
	r.Records = d.list()
	for _, b := range []*bool{&r.RecordsForged, &r.StdoutTruncated, &r.StderrTruncated, &r.ResponsesTruncated, &r.RecordsTruncated} {
		*b = d.bool()
	}
	r.Duration = time.Duration(d.nonNegative("duration"))
	r.CPU = time.Duration(d.nonNegative("cpu time"))
	r.PeakMemoryBytes = d.nonNegative("peak memory")
	return m, d.end()
}

func encodeReady() []byte {
	var e encoder
	e.uvarint(protocolVersion)
	return e.b
}

func decodeReady(p []byte) error {
	d := decoder{b: p}
	v := d.uvarint()
	if err := d.end(); err != nil {
		return err
	}
	if v != protocolVersion {
		return fmt.Errorf("worker: speaks protocol %d, want %d", v, protocolVersion)
	}
	return nil
}
