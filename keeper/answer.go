package keeper

import (
	"fmt"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// Answer types, keeper → front door.
const (
	MsgCompiled byte = 11 // a compile's jail.Result
	MsgStarted  byte = 12 // a worker's number and pid; its connection rides along (SCM_RIGHTS)
	MsgExited   byte = 13 // a worker ended (unasked): its number and jail.Exit
	MsgRefused  byte = 14 // the request was malformed or out of policy, or failed
)

// answer is one answer: Type says which fields hold it.
type answer struct {
	Type    byte
	Seq     uint64 // the request's (none for MsgExited)
	Result  jail.Result
	Worker  uint64
	Pid     int64
	Exit    jail.Exit
	Message string // MsgRefused, and Exit.Err of MsgExited
	// fd is the worker's connection that came with MsgStarted (not
	// encoded: it travels as SCM_RIGHTS).
	fd int
}

func (a answer) encode() []byte {
	var e frame.Encoder
	e.Uvarint(a.Seq)
	switch a.Type {
	case MsgCompiled:
		r := a.Result
		e.Varint(int64(r.ExitCode))
		e.Bool(r.Signaled)
		e.Bytes(r.Stdout)
		e.Bytes(r.Stderr)
		e.Bool(r.StdoutTruncated)
		e.Bool(r.StderrTruncated)
		encodeFiles(&e, r.Files)
		e.Varint(int64(r.Usage.Wall))
		e.Varint(int64(r.Usage.CPU))
		e.Varint(r.Usage.PeakMemoryBytes)
		e.Str(string(r.Limit))
	case MsgStarted:
		e.Uvarint(a.Worker)
		e.Varint(a.Pid)
	case MsgExited:
		e.Uvarint(a.Worker)
		e.Varint(int64(a.Exit.ExitCode))
		e.Bool(a.Exit.Signaled)
		e.Bool(a.Exit.OOMKilled)
		e.Bytes(a.Exit.Stderr)
		e.Str(a.Message)
	case MsgRefused:
		e.Str(a.Message)
	}
	return e.B
}

// decodeAnswer decodes what the keeper sent. The keeper is trusted, but
// its answers are decoded as strictly as its requests: a front door that
// misreads one would act on garbage.
func decodeAnswer(typ byte, p []byte) (answer, error) {
	d := frame.Decoder{B: p}
	a := answer{Type: typ, Seq: d.Uvarint()}
	switch typ {
	case MsgCompiled:
		r := &a.Result
		r.ExitCode = int(d.Varint())
		r.Signaled = d.Bool()
		r.Stdout = d.Bytes()
		r.Stderr = d.Bytes()
		r.StdoutTruncated = d.Bool()
		r.StderrTruncated = d.Bool()
		r.Files = decodeFiles(&d)
		r.Usage.Wall = time.Duration(d.Varint())
		r.Usage.CPU = time.Duration(d.Varint())
		r.Usage.PeakMemoryBytes = d.Varint()
		switch l := outcome.Limit(d.Str()); l {
		case outcome.LimitNone, outcome.LimitTime, outcome.LimitMemory, outcome.LimitOutput:
			r.Limit = l
		default:
			d.Fail(fmt.Errorf("keeper: unknown limit %q", l))
		}
	case MsgStarted:
		a.Worker = d.Uvarint()
		a.Pid = d.Varint()
	case MsgExited:
		a.Worker = d.Uvarint()
		a.Exit.ExitCode = int(d.Varint())
		a.Exit.Signaled = d.Bool()
		a.Exit.OOMKilled = d.Bool()
		a.Exit.Stderr = d.Bytes()
		a.Message = d.Str()
	case MsgRefused:
		a.Message = d.Str()
	default:
		return answer{}, fmt.Errorf("keeper: unknown answer type %d", typ)
	}
	if err := d.End(); err != nil {
		return answer{}, fmt.Errorf("keeper: malformed answer: %w", err)
	}
	return a, nil
}
