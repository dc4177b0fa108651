package runtime

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero"
)

// onePageModule is (module (memory (export "memory") 1)): a guest that is
// nothing but one page of linear memory, for calling host functions with
// hostile pointers and lengths against real wazero memory.
var onePageModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory, min 1 page
	0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // export it
}

// lengthTracker calls a response whole after want bytes.
type lengthTracker struct{ got, want int }

func (l *lengthTracker) Sent(p []byte) bool { l.got += len(p); return l.got >= l.want }

// FuzzHostFunctions drives the virtual-socket and record host functions
// with a guest's worst: any sequence of calls, connection ids, pointers
// and lengths. Nothing may panic; every result is one the guest is told
// to expect; responses never pass their byte budget; a record with a wrong
// key marks the run forged.
func FuzzHostFunctions(f *testing.F) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	mod, err := r.Instantiate(ctx, onePageModule)
	if err != nil {
		f.Fatal(err)
	}
	op := func(kind byte, id int32, ptr, n uint32) []byte {
		b := make([]byte, 13)
		b[0] = kind
		binary.LittleEndian.PutUint32(b[1:], uint32(id))
		binary.LittleEndian.PutUint32(b[5:], ptr)
		binary.LittleEndian.PutUint32(b[9:], n)
		return b
	}
	f.Add(append(append(op(0, 0, 0, 0), op(1, 0, 100, 64)...), op(2, 0, 100, 20)...))
	f.Add(append(op(1, -1, 0xffff_fff0, 0x20), op(2, 0, 65530, 0x7fff_ffff)...))
	f.Add(append(op(4, 0, 10, RecordKeyBytes), op(5, 0, 10, 8)...))
	f.Fuzz(func(t *testing.T, ops []byte) {
		const limit = 1 << 10
		var stopped []error
		stop := func(err error) { stopped = append(stopped, err) }
		vs := newVsockState([][]byte{[]byte("GET / HTTP/1.1\r\n\r\n"), []byte("x")}, limit,
			func() ResponseTracker { return &lengthTracker{want: 8} }, stop)
		rs := newRecordState(limit, stop)
		for len(ops) >= 13 {
			kind, id := ops[0]%6, int32(binary.LittleEndian.Uint32(ops[1:]))
			ptr, n := binary.LittleEndian.Uint32(ops[5:]), binary.LittleEndian.Uint32(ops[9:])
			ops = ops[13:]
			var got int32
			switch kind {
			case 0:
				got = vs.accept()
			case 1:
				got = vs.recv(mod, id, ptr, n)
			case 2:
				got = vs.send(mod, id, ptr, n)
			case 3:
				got = vs.close(id)
			case 4:
				got = rs.giveKey(mod, ptr, n)
			case 5:
				got = rs.record(mod, uint32(id), ptr, n)
			}
			if got < vsockInvalid || (got > 0 && uint32(got) > n && kind != 0) {
				t.Fatalf("op %d(%d, %d, %d) returned %d", kind, id, ptr, n, got)
			}
		}
		total := 0
		for _, resp := range vs.results() {
			total += len(resp)
		}
		if total > limit {
			t.Fatalf("%d response bytes kept past the %d-byte budget", total, limit)
		}
		if vs.hostErr != nil {
			t.Fatalf("host error from a guest's calls: %v", vs.hostErr)
		}
	})
}
