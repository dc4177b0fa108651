package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// RecordModule is the import module name of the record channel: how a
// harness's own code inside the program (the mock harness's driver)
// reports to the host, apart from the program's output, which the stub
// writes as it likes. All values are i32:
//
//	key(ptr, len) -> 0      writes the run's key (RecordKeyBytes random
//	                        bytes) to ptr, the first time it is called;
//	                        every later call returns -1 and marks the
//	                        run's records forged
//	record(key, ptr, len) -> 0  appends the bytes at ptr as one record if
//	                        the RecordKeyBytes at key are the run's key;
//	                        otherwise returns -1 and marks the records
//	                        forged
//
// Both return -2 for a pointer and length outside guest memory (and key
// for a len other than RecordKeyBytes).
//
// The key is what makes a record the harness's: the harness's code asks
// for it before any of the stub's code runs, so code of the stub that
// asks later, or writes a record with a guessed key, is caught rather
// than believed. The key is random and never reaches the program's
// output, so it does not make runs differ.
const RecordModule = "sandbox_harness"

// RecordKeyBytes is the size of a run's record key.
const RecordKeyBytes = 16

// recordState is one run's record channel. Like vsockState it lives in
// the run's context and is used only from the guest's goroutine.
type recordState struct {
	key      [RecordKeyBytes]byte
	keyTaken bool
	records  [][]byte
	// forged is set by any use of the channel without the key.
	forged bool
	// limit caps the total of the records, as for stdout; total is what
	// was kept so far, truncated whether anything was dropped.
	limit, total int64
	truncated    bool
	stop         func(cause error)
}

func newRecordState(limit int64, stop func(error)) *recordState {
	s := &recordState{limit: limit, stop: stop}
	// crypto/rand.Read never fails (it crashes the process instead).
	_, _ = rand.Read(s.key[:])
	return s
}

func (s *recordState) giveKey(mod api.Module, ptr, n uint32) int32 {
	buf, ok := guestBytes(mod, ptr, n)
	if !ok || n != RecordKeyBytes {
		return vsockInvalid
	}
	if s.keyTaken {
		s.forged = true
		return vsockNone
	}
	s.keyTaken = true
	copy(buf, s.key[:])
	return 0
}

func (s *recordState) record(mod api.Module, keyPtr, ptr, n uint32) int32 {
	key, ok := guestBytes(mod, keyPtr, RecordKeyBytes)
	if !ok {
		return vsockInvalid
	}
	data, ok := guestBytes(mod, ptr, n)
	if !ok {
		return vsockInvalid
	}
	if !s.keyTaken || !bytes.Equal(key, s.key[:]) {
		s.forged = true
		return vsockNone
	}
	if room := s.limit - s.total; int64(len(data)) > room {
		// Past the budget the record is dropped whole (a cut record
		// would only be unreadable) and the run stopped.
		if !s.truncated {
			s.truncated = true
			s.stop(errOutputLimit)
		}
		return 0
	}
	s.records = append(s.records, bytes.Clone(data))
	s.total += int64(len(data))
	return 0
}

// instantiateRecords registers the shared host module on r.
func instantiateRecords(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder(RecordModule)
	exportI32(b, "key", []string{"ptr", "len"}, "result", func(ctx context.Context, mod api.Module, args []uint64) int32 {
		if s := runState[recordState](ctx); s != nil {
			return s.giveKey(mod, api.DecodeU32(args[0]), api.DecodeU32(args[1]))
		}
		return vsockInvalid
	})
	exportI32(b, "record", []string{"key", "ptr", "len"}, "result", func(ctx context.Context, mod api.Module, args []uint64) int32 {
		if s := runState[recordState](ctx); s != nil {
			return s.record(mod, api.DecodeU32(args[0]), api.DecodeU32(args[1]), api.DecodeU32(args[2]))
		}
		return vsockInvalid
	})
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("runtime: instantiate %s host module: %w", RecordModule, err)
	}
	return nil
}
