package runtime

// A tiny assembler for hand-written test modules: the paths a Go guest
// cannot reach (a trap, a declared memory over the cap, Rust's allocation
// failure) need modules whose every byte is known.

// Opcodes used by the test modules.
const (
	opBlock       = 0x02
	opIf          = 0x04
	opEnd         = 0x0b
	opUnreachable = 0x00
	opDrop        = 0x1a
	opCall        = 0x10
	opI32Const    = 0x41
	opI32Eq       = 0x46
	opMemoryGrow  = 0x40
	typeEmpty     = 0x40
)

func uleb(v uint64) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, b|0x80)
			continue
		}
		return append(out, b)
	}
}

func sleb(v int64) []byte {
	var out []byte
	for {
		b := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && b&0x40 == 0) || (v == -1 && b&0x40 != 0) {
			return append(out, b)
		}
		out = append(out, b|0x80)
	}
}

func name(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func section(id byte, body ...[]byte) []byte {
	var b []byte
	for _, p := range body {
		b = append(b, p...)
	}
	return append(append([]byte{id}, uleb(uint64(len(b)))...), b...)
}

func vec(items ...[]byte) []byte {
	out := uleb(uint64(len(items)))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func i32(v int32) []byte { return cat([]byte{opI32Const}, sleb(int64(v))) }

// testModule describes a module with one memory (if memPages >= 0), optional
// imported fd_write (function 0 when present) and a _start with body code.
type testModule struct {
	memPages   int
	importFdWr bool
	importEnv  bool
	// importBadFdWr imports fd_write with the wrong signature, () -> ().
	importBadFdWr bool
	noStart       bool
	data          []byte // placed at offset 16
	body          []byte // _start's instructions, without the final end
}

func (m testModule) bytes() []byte {
	const funcI32x4 = 1 // type index of (i32 i32 i32 i32) -> i32
	types := vec(
		[]byte{0x60, 0x00, 0x00},                               // () -> ()
		[]byte{0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f}, // fd_write
	)
	out := cat([]byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}, section(1, types))

	var imports [][]byte
	if m.importFdWr {
		imports = append(imports, cat(name("wasi_snapshot_preview1"), name("fd_write"), []byte{0x00, funcI32x4}))
	}
	if m.importEnv {
		imports = append(imports, cat(name("env"), name("missing"), []byte{0x00, 0x00}))
	}
	if m.importBadFdWr {
		imports = append(imports, cat(name("wasi_snapshot_preview1"), name("fd_write"), []byte{0x00, 0x00}))
	}
	if len(imports) > 0 {
		out = append(out, section(2, vec(imports...))...)
	}
	out = append(out, section(3, vec([]byte{0x00}))...)
	if m.memPages >= 0 {
		out = append(out, section(5, vec(cat([]byte{0x00}, uleb(uint64(m.memPages)))))...)
	}
	startIdx := uint64(len(imports))
	var exports [][]byte
	if !m.noStart {
		exports = append(exports, cat(name("_start"), []byte{0x00}, uleb(startIdx)))
	}
	if m.memPages >= 0 {
		exports = append(exports, cat(name("memory"), []byte{0x02, 0x00}))
	}
	out = append(out, section(7, vec(exports...))...)
	body := cat([]byte{0x00}, m.body, []byte{opEnd}) // no locals
	out = append(out, section(10, vec(cat(uleb(uint64(len(body))), body)))...)
	if len(m.data) > 0 {
		seg := cat([]byte{0x00}, i32(16), []byte{opEnd}, name(string(m.data)))
		out = append(out, section(11, vec(seg))...)
	}
	return out
}

// trapModule's _start executes unreachable, as a Rust panic=abort does.
func trapModule() []byte {
	return testModule{memPages: -1, body: []byte{opUnreachable}}.bytes()
}

// nopModule's _start returns at once; tag makes distinct bytes.
func nopModule(tag int32) []byte {
	return testModule{memPages: -1, body: cat(i32(tag), []byte{opDrop})}.bytes()
}

// memoryModule declares pages of initial memory and does nothing.
func memoryModule(pages int) []byte {
	return testModule{memPages: pages}.bytes()
}

// rustOOMModule mimics a Rust program whose allocation fails at the cap:
// it grows memory by growPages; if that fails it writes Rust's allocation
// error message to stderr (fd 2) and aborts with unreachable, as Rust's
// default alloc error hook does.
func rustOOMModule(growPages int32, msg string) []byte {
	body := cat(
		i32(growPages), []byte{opMemoryGrow, 0x00},
		i32(-1), []byte{opI32Eq, opIf, typeEmpty},
		writeStderr(msg),
		[]byte{opUnreachable},
		[]byte{opEnd},
	)
	return testModule{memPages: 1, importFdWr: true, data: []byte(msg), body: body}.bytes()
}

// fakeOOMModule prints msg on stderr and aborts without ever growing its
// memory: a guest claiming an allocation failure it never had.
func fakeOOMModule(msg string) []byte {
	body := cat(writeStderr(msg), []byte{opUnreachable})
	return testModule{memPages: 1, importFdWr: true, data: []byte(msg), body: body}.bytes()
}

// writeStderr writes msg, the module's data at offset 16, to fd 2 with
// the imported fd_write (function 0).
func writeStderr(msg string) []byte {
	return cat(
		// iovec at 0: {buf: 16, len: len(msg)}.
		i32(0), i32(16), []byte{0x36, 0x02, 0x00}, // i32.store align=2 offset=0
		i32(4), i32(int32(len(msg))), []byte{0x36, 0x02, 0x00},
		i32(2), i32(0), i32(1), i32(8), []byte{opCall, 0x00, opDrop},
	)
}
