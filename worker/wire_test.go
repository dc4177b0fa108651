package worker

import (
	"bytes"
	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

func sampleResult() resultMsg {
	return resultMsg{Seq: 9, Status: resultOK, Result: wasmrt.Result{
		Run: outcome.Run{ExitCode: new(int32(-3)), Trap: "wasm error: unreachable", Limit: outcome.LimitOutput,
			Stdout: []byte("out"), Stderr: []byte{}, Responses: [][]byte{{}, []byte("HTTP/1.1 200 OK\r\n\r\n"), nil},
			Records: [][]byte{[]byte("{}")}, RecordsForged: true},
		StdoutTruncated: true, RecordsTruncated: true,
		Duration: time.Second, CPU: time.Millisecond, PeakMemoryBytes: 1 << 20,
	}, Compiles: []compileReport{{Engine: wasmrt.EngineInterpreter, Duration: time.Millisecond}, {Engine: wasmrt.EngineCompiler, Duration: time.Second}}, Cache: cacheReport{Modules: 2, Bytes: 40 << 20}}
}

func sampleRun() runMsg {
	return runMsg{Seq: 3, Module: moduleID{1, 2}, Seed: [32]byte{9}, Stdin: []byte{}, Args: []string{"main", ""},
		Limits:      wasmrt.Limits{MemoryLimitBytes: 1 << 20, Timeout: time.Second, StdoutLimitBytes: 5, StderrLimitBytes: 6},
		Connections: [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n")}, Track: true,
		Env: []string{"ROCKET_PORT=9000"}, Files: &wasmrt.Files{Root: "/work", ScratchBytes: 7,
			Files: map[string][]byte{"src/main.rs": []byte("fn main() {}"), "empty": {}}}}
}

// Every field survives the wire, nil and empty apart.
func TestMessagesRoundTrip(t *testing.T) {
	r := sampleResult()
	got, err := decodeResult(r.encode())
	require.NoError(t, err)
	assert.Equal(t, r, got)
	assert.Nil(t, got.Result.Responses[2])
	assert.NotNil(t, got.Result.Responses[0])

	run := sampleRun()
	gotRun, err := decodeRun(run.encode())
	require.NoError(t, err)
	assert.Equal(t, run, gotRun)

	var buf bytes.Buffer
	require.NoError(t, frame.Write(&buf, msgResult, r.encode()))
	typ, p, err := frame.Read(&buf, 1<<20)
	require.NoError(t, err)
	assert.Equal(t, msgResult, typ)
	assert.Equal(t, r.encode(), p)
}

// What a worker may not say is refused: unknown statuses and limits,
// trailing bytes, lengths past the end, frames over the bound.
func TestMalformedMessagesAreRefused(t *testing.T) {
	good := sampleResult().encode()
	_, err := decodeResult(append(append([]byte{}, good...), 0))
	assert.ErrorContains(t, err, "after the message")
	_, err = decodeResult(good[:len(good)-1])
	assert.Error(t, err)

	bad := sampleResult()
	bad.Status = 7
	_, err = decodeResult(bad.encode())
	assert.ErrorContains(t, err, "unknown result status")
	bad = sampleResult()
	bad.Result.Limit = "root"
	_, err = decodeResult(bad.encode())
	assert.ErrorContains(t, err, "unknown limit")
	bad = sampleResult()
	bad.Compiles = make([]compileReport, maxCompileReports+1)
	_, err = decodeResult(bad.encode())
	assert.ErrorContains(t, err, "compiles in one result")

	var e frame.Encoder
	e.Uvarint(1)
	e.Uvarint(0)
	e.Str("")
	e.Bool(false)
	e.Str("")
	e.Str("")
	e.Uvarint(1 << 40) // stdout "of a terabyte"
	_, err = decodeResult(e.B)
	assert.Error(t, err)

	var buf bytes.Buffer
	require.NoError(t, frame.Write(&buf, msgResult, make([]byte, 100)))
	_, _, err = frame.Read(&buf, 50)
	assert.ErrorContains(t, err, "frame of 101 bytes")
}

// FuzzDecodeResult: no input makes the server's decoder of a worker's
// answer panic or allocate beyond the input, and what it accepts encodes
// back to the same bytes.
func FuzzDecodeResult(f *testing.F) {
	f.Add(sampleResult().encode())
	f.Add(resultMsg{Status: resultFailed, Message: "x"}.encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeResult(b)
		if err != nil {
			return
		}
		again, err := decodeResult(m.encode())
		require.NoError(t, err)
		require.Equal(t, m, again)
	})
}

// FuzzDecodeRun: the same for the worker's decoder of a run.
func FuzzDecodeRun(f *testing.F) {
	f.Add(sampleRun().encode())
	f.Add(runMsg{}.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeRun(b)
		if err != nil {
			return
		}
		again, err := decodeRun(m.encode())
		require.NoError(t, err)
		require.Equal(t, m, again)
	})
}
