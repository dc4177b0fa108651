// Package frame is the wire format of the service's local protocols (the
// run workers' and the keeper's): each message is one frame, a 4-byte
// big-endian length of what follows, a type byte and the payload.
// Payloads are a fixed sequence of fields per type, each a uvarint, a
// varint, a byte string (uvarint length+1, 0 meaning nil, then the bytes),
// a string (uvarint length, then the bytes), a list of byte strings
// (uvarint count+1, then each) or a fixed 32 bytes. Nothing is
// self-describing and nothing is optional: a decoder reads exactly the
// fields of its type, checks each against what the other side may send,
// and refuses trailing bytes. Both protocols decode what the peer sends
// as hostile input, so this package never trusts a length it has not
// seen backed by bytes.
package frame

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// HeaderBytes is the length prefix.
const HeaderBytes = 4

// Read reads one frame of at most maxBytes (type and payload). The
// payload is read as it arrives, so a length the peer does not back with
// bytes costs nothing.
func Read(r io.Reader, maxBytes int64) (typ byte, payload []byte, err error) {
	var hdr [HeaderBytes]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int64(binary.BigEndian.Uint32(hdr[:]))
	if n < 1 || n > maxBytes {
		return 0, nil, fmt.Errorf("frame of %d bytes (1..%d)", n, maxBytes)
	}
	buf := make([]byte, 0, min(n, 1<<20))
	for int64(len(buf)) < n {
		chunk := min(n-int64(len(buf)), 1<<20)
		start := len(buf)
		buf = append(buf, make([]byte, chunk)...)
		if _, err := io.ReadFull(r, buf[start:]); err != nil {
			return 0, nil, fmt.Errorf("truncated frame: %w", err)
		}
	}
	return buf[0], buf[1:], nil
}

// Write writes one frame, in one write.
func Write(w io.Writer, typ byte, payload []byte) error {
	buf := make([]byte, HeaderBytes+1, HeaderBytes+1+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(1+len(payload)))
	buf[HeaderBytes] = typ
	_, err := w.Write(append(buf, payload...))
	return err
}

// Encoder appends fields to B.
type Encoder struct{ B []byte }

// Uvarint appends an unsigned number.
func (e *Encoder) Uvarint(v uint64) { e.B = binary.AppendUvarint(e.B, v) }

// Varint appends a signed number.
func (e *Encoder) Varint(v int64) { e.B = binary.AppendVarint(e.B, v) }

// Bool appends 0 or 1.
func (e *Encoder) Bool(v bool) {
	if v {
		e.B = append(e.B, 1)
	} else {
		e.B = append(e.B, 0)
	}
}

// Fixed appends 32 bytes.
func (e *Encoder) Fixed(v [32]byte) { e.B = append(e.B, v[:]...) }

// Bytes appends a byte string, nil and empty apart.
func (e *Encoder) Bytes(v []byte) {
	if v == nil {
		e.Uvarint(0)
		return
	}
	e.Uvarint(uint64(len(v)) + 1)
	e.B = append(e.B, v...)
}

// Str appends a string.
func (e *Encoder) Str(v string) { e.Uvarint(uint64(len(v))); e.B = append(e.B, v...) }

// List appends a list of byte strings, nil and empty apart.
func (e *Encoder) List(v [][]byte) {
	if v == nil {
		e.Uvarint(0)
		return
	}
	e.Uvarint(uint64(len(v)) + 1)
	for _, b := range v {
		e.Bytes(b)
	}
}

// Strs appends a list of strings (as List).
func (e *Encoder) Strs(v []string) {
	if v == nil {
		e.List(nil)
		return
	}
	l := make([][]byte, len(v))
	for i, s := range v {
		l[i] = []byte(s)
	}
	e.List(l)
}

// Decoder reads fields from B until the first error, which it keeps: a
// message is decoded field by field and checked once, at End.
type Decoder struct {
	B   []byte
	err error
}

// ErrShort is a message that ends inside a field.
var ErrShort = errors.New("message ends inside a field")

// Fail keeps err unless an error is kept already.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Err is the first error so far.
func (d *Decoder) Err() error { return d.err }

// Uvarint reads an unsigned number.
func (d *Decoder) Uvarint() uint64 { return number(d, binary.Uvarint) }

// Varint reads a signed number.
func (d *Decoder) Varint() int64 { return number(d, binary.Varint) }

// number reads one number with read (binary.Uvarint or binary.Varint).
func number[T uint64 | int64](d *Decoder, read func([]byte) (T, int)) T {
	if d.err != nil {
		return 0
	}
	v, n := read(d.B)
	if n <= 0 {
		d.Fail(ErrShort)
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Bool reads 0 or 1 and refuses anything else.
func (d *Decoder) Bool() bool {
	switch v := d.Uvarint(); v {
	case 0, 1:
		return v == 1
	default:
		d.Fail(fmt.Errorf("%d is not a boolean", v))
		return false
	}
}

func (d *Decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.B)) {
		d.Fail(ErrShort)
		return nil
	}
	v := d.B[:n:n]
	d.B = d.B[n:]
	return v
}

// Fixed reads 32 bytes.
func (d *Decoder) Fixed() (v [32]byte) {
	copy(v[:], d.take(32))
	return v
}

// Bytes reads a byte string (a copy).
func (d *Decoder) Bytes() []byte {
	n := d.Uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	return append([]byte{}, d.take(n-1)...)
}

// Str reads a string.
func (d *Decoder) Str() string { return string(d.take(d.Uvarint())) }

// List reads a list of byte strings.
func (d *Decoder) List() [][]byte {
	n := d.Uvarint()
	if n == 0 || d.err != nil {
		return nil
	}
	// Every element is at least one byte: a count beyond what is left
	// is a lie, refused before anything is allocated for it.
	if n-1 > uint64(len(d.B)) {
		d.Fail(ErrShort)
		return nil
	}
	out := make([][]byte, n-1)
	for i := range out {
		out[i] = d.Bytes()
	}
	return out
}

// Strs reads a list of strings (as List).
func (d *Decoder) Strs() []string {
	l := d.List()
	if l == nil {
		return nil
	}
	out := make([]string, len(l))
	for i, b := range l {
		out[i] = string(b)
	}
	return out
}

// NonNegative reads a uvarint that must fit an int64.
func (d *Decoder) NonNegative(what string) int64 {
	v := d.Uvarint()
	if v > 1<<62 {
		d.Fail(fmt.Errorf("%s %d out of range", what, v))
		return 0
	}
	return int64(v)
}

// End refuses trailing bytes and returns the first error.
func (d *Decoder) End() error {
	if d.err == nil && len(d.B) != 0 {
		d.Fail(fmt.Errorf("%d bytes after the message", len(d.B)))
	}
	return d.err
}
