package keeper

import (
	"fmt"
	"sort"

	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// Request types, the frame's type byte.
const (
	MsgCompile     byte = 1
	MsgStartWorker byte = 2
	MsgKillWorker  byte = 3
	// MsgCancel stops a compile the front door no longer waits for (its
	// caller went away): the keeper kills that compile's jail.
	MsgCancel byte = 4
)

// MaxRequestBytes bounds a request frame: a compile request carries the
// stub and a project's files (each far below this; Policy bounds them
// exactly).
const MaxRequestBytes = 256 << 20

// Request is one decoded request: Type says which of the other fields
// holds it.
type Request struct {
	Type byte
	// Seq is the front door's number for the request; the answer
	// carries it.
	Seq     uint64
	Compile jail.Command // MsgCompile
	Entry   string       // MsgStartWorker: the jail entry to run
	Worker  uint64       // MsgKillWorker: the keeper's number for the worker
	Target  uint64       // MsgCancel: the Seq of the compile to stop
}

// Encode returns the frame's payload for r (its type is r.Type).
func (r Request) Encode() []byte {
	var e frame.Encoder
	e.Uvarint(r.Seq)
	switch r.Type {
	case MsgCompile:
		c := r.Compile
		e.Str(c.Path)
		e.Strs(c.Args)
		e.Strs(c.Env)
		encodeFiles(&e, c.Files)
		e.Bytes(c.Stdin)
		e.Strs(c.Collect)
		for _, v := range limitValues(&c.Limits) {
			e.Varint(*v)
		}
		e.Str(c.Incremental)
	case MsgStartWorker:
		e.Str(r.Entry)
	case MsgKillWorker:
		e.Uvarint(r.Worker)
	case MsgCancel:
		e.Uvarint(r.Target)
	}
	return e.B
}

// DecodeRequest decodes a request frame of type typ strictly: an unknown
// type, a field that ends early, a file named twice, or bytes after the
// last field are errors. It checks the shape only; Policy.Check decides
// whether the keeper may do what the request asks.
func DecodeRequest(typ byte, p []byte) (Request, error) {
	d := frame.Decoder{B: p}
	r := Request{Type: typ, Seq: d.Uvarint()}
	switch typ {
	case MsgCompile:
		c := &r.Compile
		c.Path = d.Str()
		c.Args = d.Strs()
		c.Env = d.Strs()
		c.Files = decodeFiles(&d)
		c.Stdin = d.Bytes()
		c.Collect = d.Strs()
		for _, v := range limitValues(&c.Limits) {
			*v = d.Varint()
		}
		c.Incremental = d.Str()
	case MsgStartWorker:
		r.Entry = d.Str()
	case MsgKillWorker:
		r.Worker = d.Uvarint()
	case MsgCancel:
		r.Target = d.Uvarint()
	default:
		return Request{}, fmt.Errorf("keeper: unknown request type %d", typ)
	}
	if err := d.End(); err != nil {
		return Request{}, fmt.Errorf("keeper: malformed request: %w", err)
	}
	return r, nil
}

// encodeFiles appends files, sorted by name.
func encodeFiles(e *frame.Encoder, files map[string][]byte) {
	names := sortedNames(files)
	e.Uvarint(uint64(len(names)))
	for _, n := range names {
		e.Str(n)
		e.Bytes(files[n])
	}
}

// decodeFiles reads files as encodeFiles wrote them, refusing names out
// of order or twice (one encoding per message).
func decodeFiles(d *frame.Decoder) map[string][]byte {
	n := d.Uvarint()
	// Every file is at least two bytes (its name's length and its
	// contents' length): a count beyond that is a lie, refused before
	// anything is allocated for it.
	if n > uint64(len(d.B))/2 {
		d.Fail(frame.ErrShort)
		return nil
	}
	if n == 0 {
		return nil
	}
	files := make(map[string][]byte, n)
	prev := ""
	for i := range n {
		name, data := d.Str(), d.Bytes()
		if i > 0 && name <= prev && d.Err() == nil {
			d.Fail(fmt.Errorf("keeper: file %q out of order or named twice", name))
		}
		prev = name
		files[name] = data
	}
	return files
}

// sortedNames returns the files' names in order.
func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// limitValues lists a command's limits in a fixed order, the order they
// travel in.
func limitValues(l *jail.Limits) []*int64 {
	return []*int64{&l.WallTimeMS, &l.CPUTimeMS, &l.MemoryBytes, &l.Pids,
		&l.OutputBytes, &l.WorkDirBytes, &l.FileSizeBytes, &l.OpenFiles}
}
