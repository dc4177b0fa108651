package worker

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// The wire is package frame's: length-framed, typed, fixed fields, no
// trailing bytes. The server decodes what a worker sends as hostile
// input: a worker runs guest code.

// protocolVersion is sent in msgReady; a worker of another build is
// refused.
const protocolVersion = 4

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
	// Env is the guest's environment; Files, if set, the project's tree
	// (runtime.Files), carried as data like everything else.
	Env   []string
	Files *wasmrt.Files
}

func (m runMsg) encode() []byte {
	var e frame.Encoder
	e.Uvarint(m.Seq)
	e.Fixed(m.Module)
	e.Fixed(m.Seed)
	e.Bytes(m.Stdin)
	args := make([][]byte, len(m.Args))
	for i, a := range m.Args {
		args[i] = []byte(a)
	}
	if m.Args == nil {
		args = nil
	}
	e.List(args)
	e.Varint(m.Limits.MemoryLimitBytes)
	e.Varint(int64(m.Limits.Timeout))
	e.Varint(m.Limits.StdoutLimitBytes)
	e.Varint(m.Limits.StderrLimitBytes)
	e.List(m.Connections)
	e.Bool(m.Track)
	e.List(stringsToBytes(m.Env))
	e.Bool(m.Files != nil)
	if m.Files != nil {
		e.Bytes([]byte(m.Files.Root))
		e.Varint(m.Files.ScratchBytes)
		paths := make([][]byte, 0, len(m.Files.Files))
		contents := make([][]byte, 0, len(m.Files.Files))
		for _, p := range sortedPaths(m.Files.Files) {
			paths, contents = append(paths, []byte(p)), append(contents, m.Files.Files[p])
		}
		e.List(paths)
		e.List(contents)
	}
	return e.B
}

// stringsToBytes is a list of strings as the frame's list of bytes (nil
// stays nil).
func stringsToBytes(ss []string) [][]byte {
	if ss == nil {
		return nil
	}
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// sortedPaths is a file map's paths in byte order, so an encoding is one
// set of bytes.
func sortedPaths(files map[string][]byte) []string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

func decodeRun(p []byte) (runMsg, error) {
	d := frame.Decoder{B: p}
	var m runMsg
	m.Seq = d.Uvarint()
	m.Module = d.Fixed()
	m.Seed = d.Fixed()
	m.Stdin = d.Bytes()
	if args := d.List(); args != nil {
		m.Args = make([]string, len(args))
		for i, a := range args {
			m.Args[i] = string(a)
		}
	}
	m.Limits.MemoryLimitBytes = d.Varint()
	m.Limits.Timeout = time.Duration(d.Varint())
	m.Limits.StdoutLimitBytes = d.Varint()
	m.Limits.StderrLimitBytes = d.Varint()
	m.Connections = d.List()
	m.Track = d.Bool()
	if env := d.List(); env != nil {
		m.Env = make([]string, len(env))
		for i, kv := range env {
			m.Env[i] = string(kv)
		}
	}
	if d.Bool() {
		m.Files = &wasmrt.Files{Root: string(d.Bytes()), ScratchBytes: d.Varint()}
		paths, contents := d.List(), d.List()
		if len(paths) != len(contents) {
			return m, fmt.Errorf("worker: %d file paths for %d contents", len(paths), len(contents))
		}
		m.Files.Files = make(map[string][]byte, len(paths))
		for i, p := range paths {
			m.Files.Files[string(p)] = contents[i]
		}
	}
	return m, d.End()
}

func encodeLoad(id moduleID, module []byte) []byte {
	var e frame.Encoder
	e.Fixed(id)
	e.Bytes(module)
	return e.B
}

func decodeLoad(p []byte) (moduleID, []byte, error) {
	d := frame.Decoder{B: p}
	id := d.Fixed()
	module := d.Bytes()
	return id, module, d.End()
}

func encodeSeq(seq uint64) []byte {
	var e frame.Encoder
	e.Uvarint(seq)
	return e.B
}

func decodeSeq(p []byte) (uint64, error) {
	d := frame.Decoder{B: p}
	seq := d.Uvarint()
	return seq, d.End()
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
	// Compiles are the wazero compiles the worker made since its last
	// result (this run's, and auto's background ones), for the
	// service's metrics: the engine's compile observer in process.
	Compiles []compileReport
	// Cache is what the worker's engine keeps after the run (its
	// compiled modules and their charged bytes), for the service's
	// metrics: a worker's compiled code is memory of the node.
	Cache cacheReport
}

// cacheReport is a worker's wazero caches as runtime.Engine.CacheUsage
// says.
type cacheReport struct {
	Modules, Bytes int64
}

// compileReport is one module compile in a worker.
type compileReport struct {
	Engine   wasmrt.EngineKind // compiler or interpreter
	Duration time.Duration
}

// maxCompileReports bounds the compiles one result reports: a run
// compiles its module once per engine, and auto's background compiles
// run one at a time; more is a broken worker.
const maxCompileReports = 64

func (m resultMsg) encode() []byte {
	var e frame.Encoder
	e.Uvarint(m.Seq)
	e.Uvarint(uint64(m.Status))
	e.Str(m.Message)
	r := m.Result
	e.Bool(r.ExitCode != nil)
	if r.ExitCode != nil {
		e.Varint(int64(*r.ExitCode))
	}
	e.Str(r.Trap)
	e.Str(string(r.Limit))
	e.Bytes(r.Stdout)
	e.Bytes(r.Stderr)
	e.List(r.Responses)
	e.List(r.Records)
	for _, b := range []bool{r.RecordsForged, r.StdoutTruncated, r.StderrTruncated, r.ResponsesTruncated, r.RecordsTruncated} {
		e.Bool(b)
	}
	e.Uvarint(uint64(max(r.Duration, 0)))
	e.Uvarint(uint64(max(r.CPU, 0)))
	e.Uvarint(uint64(max(r.PeakMemoryBytes, 0)))
	e.Uvarint(uint64(len(m.Compiles)))
	for _, c := range m.Compiles {
		e.Bool(c.Engine == wasmrt.EngineInterpreter)
		e.Uvarint(uint64(max(c.Duration, 0)))
	}
	e.Uvarint(uint64(max(m.Cache.Modules, 0)))
	e.Uvarint(uint64(max(m.Cache.Bytes, 0)))
	return e.B
}

// maxTrapBytes bounds a trap message and a failure's message: wazero's
// trap text and stack trace are far shorter.
const maxTrapBytes = 1 << 20

func decodeResult(p []byte) (resultMsg, error) {
	d := frame.Decoder{B: p}
	var m resultMsg
	m.Seq = d.Uvarint()
	st := d.Uvarint()
	if st > uint64(resultFailed) {
		d.Fail(fmt.Errorf("worker: unknown result status %d", st))
	}
	m.Status = byte(st)
	m.Message = d.Str()
	r := &m.Result
	if d.Bool() {
		v := d.Varint()
		if v < -1<<31 || v > 1<<31-1 {
			d.Fail(fmt.Errorf("worker: exit code %d out of range", v))
		}
		r.ExitCode = new(int32(v))
	}
	r.Trap = d.Str()
	switch l := outcome.Limit(d.Str()); l {
	case outcome.LimitNone, outcome.LimitTime, outcome.LimitMemory, outcome.LimitOutput:
		r.Limit = l
	default:
		d.Fail(fmt.Errorf("worker: unknown limit %q", l))
	}
	if len(m.Message) > maxTrapBytes || len(r.Trap) > maxTrapBytes {
		d.Fail(errors.New("worker: message too long"))
	}
	r.Stdout = d.Bytes()
	r.Stderr = d.Bytes()
	r.Responses = d.List()
	r.Records = d.List()
	for _, b := range []*bool{&r.RecordsForged, &r.StdoutTruncated, &r.StderrTruncated, &r.ResponsesTruncated, &r.RecordsTruncated} {
		*b = d.Bool()
	}
	r.Duration = time.Duration(d.NonNegative("duration"))
	r.CPU = time.Duration(d.NonNegative("cpu time"))
	r.PeakMemoryBytes = d.NonNegative("peak memory")
	n := d.Uvarint()
	if n > maxCompileReports {
		d.Fail(fmt.Errorf("worker: %d compiles in one result", n))
		n = 0
	}
	for range n {
		c := compileReport{Engine: wasmrt.EngineCompiler}
		if d.Bool() {
			c.Engine = wasmrt.EngineInterpreter
		}
		c.Duration = time.Duration(d.NonNegative("compile duration"))
		if d.Err() != nil {
			break
		}
		m.Compiles = append(m.Compiles, c)
	}
	m.Cache.Modules = d.NonNegative("cached modules")
	m.Cache.Bytes = d.NonNegative("cached bytes")
	return m, d.End()
}

func encodeReady() []byte {
	var e frame.Encoder
	e.Uvarint(protocolVersion)
	return e.B
}

func decodeReady(p []byte) error {
	d := frame.Decoder{B: p}
	v := d.Uvarint()
	if err := d.End(); err != nil {
		return err
	}
	if v != protocolVersion {
		return fmt.Errorf("worker: speaks protocol %d, want %d", v, protocolVersion)
	}
	return nil
}
