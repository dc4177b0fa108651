package keeper

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/compiler"
	"github.com/rocket-sandbox/rocket-sandbox/incremental"
	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

const rustc = "/usr/bin/rustc"

func testPolicy() Policy { return NewPolicy([]string{rustc}, 1<<20, jail.MaxLimits(), "run-worker") }

// capture is a compiler.Runner that keeps the command it is given.
type capture struct{ cmd jail.Command }

func (c *capture) Run(_ context.Context, cmd jail.Command) (jail.Result, error) {
	c.cmd = cmd
	return jail.Result{}, nil
}

// serviceCompile is the command the service's compiler sends for a
// stub: the policy must accept what the service really asks.
func serviceCompile(t *testing.T) jail.Command {
	m := &toolchain.Manifest{Rustc: rustc, Sysroot: "/s", TargetDeps: "/t", HostDeps: "/h",
		Externs: map[string]string{"rocket": "/t/librocket.rlib"}}
	var c capture
	_, err := compiler.New(m, m.Wasm(), &c, compiler.Config{}).Compile(context.Background(),
		compiler.Input{Source: []byte("fn main() {}"), Limits: jail.Limits{WallTimeMS: 30_000}, Incremental: strings.Repeat("ab", 32)})
	require.NoError(t, err)
	require.Equal(t, rustc, c.cmd.Path)
	return c.cmd
}

// state is a keeper's State for the policy's tests: the workers and
// compiles it names are alive.
type state struct{ workers, compiles []uint64 }

func (s state) LiveWorker(id uint64) bool      { return slices.Contains(s.workers, id) }
func (s state) RunningCompile(seq uint64) bool { return slices.Contains(s.compiles, seq) }

// noWorkers is a keeper with nothing going.
var noWorkers = state{}

// Every request survives the wire (the incremental id too), and the
// service's own compile command passes the policy.
func TestRequestsRoundTripAndTheServicesCompileIsAllowed(t *testing.T) {
	cmd := serviceCompile(t)
	for _, r := range []Request{
		{Type: MsgCompile, Seq: 7, Compile: cmd},
		{Type: MsgCompile, Seq: 10, Compile: jail.Command{Path: rustc, Stdin: []byte("fn main() {}")}}, // rustfmt reads the stub on stdin
		{Type: MsgStartWorker, Seq: 8, Entry: "run-worker"},
		{Type: MsgKillWorker, Seq: 9, Worker: 3},
		{Type: MsgCancel, Target: 7},
	} {
		var buf bytes.Buffer
		require.NoError(t, frame.Write(&buf, r.Type, r.Encode()))
		typ, p, err := frame.Read(&buf, MaxRequestBytes)
		require.NoError(t, err)
		got, err := DecodeRequest(typ, p)
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
	require.NoError(t, testPolicy().Check(Request{Type: MsgCompile, Compile: cmd}, noWorkers))
	require.NoError(t, testPolicy().Check(Request{Type: MsgStartWorker, Entry: "run-worker"}, noWorkers))
	require.NoError(t, testPolicy().Check(Request{Type: MsgKillWorker, Worker: 3}, state{workers: []uint64{3}}))
	require.NoError(t, testPolicy().Check(Request{Type: MsgCancel, Target: 7}, state{compiles: []uint64{7}}))
}

// Each field out of policy is refused by its key path, never clamped or
// ignored: a compile request cannot name another program, a file outside
// the work directory, a limit above the jail's maxima; a worker cannot
// run another entry; a kill cannot name a process the keeper did not
// start.
func TestOutOfPolicyRequestsAreRefused(t *testing.T) {
	p := testPolicy()
	for _, tc := range []struct {
		name, key string
		edit      func(*Request)
	}{
		{"another program", "compile.path", func(r *Request) { r.Compile.Path = "/bin/sh" }},
		{"a relative program", "compile.path", func(r *Request) { r.Compile.Path = "rustc" }},
		{"a NUL in an argument", "compile.args[0]", func(r *Request) { r.Compile.Args[0] = "a\x00b" }},
		{"too many arguments", "compile.args", func(r *Request) { r.Compile.Args = make([]string, maxArgs+1) }},
		{"a huge argument", "compile.args[1].bytes", func(r *Request) { r.Compile.Args[1] = strings.Repeat("x", maxStringBytes+1) }},
		{"an environment entry without a name", "compile.env[0]", func(r *Request) { r.Compile.Env[0] = "=x" }},
		{"an environment entry without =", "compile.env[0]", func(r *Request) { r.Compile.Env[0] = "LD_PRELOAD" }},
		{"too many variables", "compile.env", func(r *Request) { r.Compile.Env = make([]string, maxEnv+1) }},
		{"a file outside the work dir", `compile.files["../etc/passwd"]`, func(r *Request) { r.Compile.Files["../etc/passwd"] = nil }},
		{"an absolute file", `compile.files["/etc/passwd"]`, func(r *Request) { r.Compile.Files["/etc/passwd"] = nil }},
		{"an unclean file name", `compile.files["a//b"]`, func(r *Request) { r.Compile.Files["a//b"] = nil }},
		{"too many input bytes", "compile.file_bytes", func(r *Request) { r.Compile.Files["big"] = make([]byte, 1<<20+harnessBytes+1) }},
		{"too much on stdin", "compile.stdin_bytes", func(r *Request) { r.Compile.Stdin = make([]byte, 1<<20+harnessBytes+1) }},
		{"too many files", "compile.files", func(r *Request) {
			for i := range 1<<20 + harnessFiles {
				r.Compile.Files[fmt.Sprint("f", i)] = nil
			}
		}},
		{"an incremental directory by path", "compile.incremental", func(r *Request) { r.Compile.Incremental = "/var/lib/x" }},
		{"an incremental id of another form", "compile.incremental", func(r *Request) { r.Compile.Incremental = strings.Repeat("AB", 32) }},
		{"a file in the incremental directory", `compile.files["target/incremental/x"]`, func(r *Request) { r.Compile.Files["target/incremental/x"] = nil }},
		{"collecting outside the work dir", "compile.collect[0]", func(r *Request) { r.Compile.Collect[0] = "/proc/1/environ" }},
		{"a negative limit", "compile.limits.pids", func(r *Request) { r.Compile.Limits.Pids = -1 }},
		{"memory above the jail's maximum", "compile.limits.memory_bytes", func(r *Request) { r.Compile.Limits.MemoryBytes = jail.MaxLimits().MemoryBytes + 1 }},
		{"time above the jail's maximum", "compile.limits.wall_time_ms", func(r *Request) { r.Compile.Limits.WallTimeMS = jail.MaxLimits().WallTimeMS + 1 }},
		{"another entry", "entry", func(r *Request) { *r = Request{Type: MsgStartWorker, Entry: "shell"} }},
		{"a worker the keeper did not start", "worker", func(r *Request) { *r = Request{Type: MsgKillWorker, Worker: 1} }},
		{"a cancel of a compile the keeper is not running", "target", func(r *Request) { *r = Request{Type: MsgCancel, Target: 2} }},
		{"a compile numbered as one still running", "seq", func(r *Request) { r.Seq = 5 }},
		{"an unknown type", "type", func(r *Request) { *r = Request{Type: 99} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Request{Type: MsgCompile, Compile: serviceCompile(t)}
			tc.edit(&r)
			err := p.Check(r, state{compiles: []uint64{5}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.key)
		})
	}
}

// Malformed frames are refused by the decoder: an unknown type, a field
// cut short, trailing bytes, a file count the bytes cannot back, files
// out of order or twice.
func TestMalformedRequestsAreRefused(t *testing.T) {
	good := Request{Type: MsgCompile, Seq: 1, Compile: serviceCompile(t)}.Encode()
	_, err := DecodeRequest(42, good)
	assert.ErrorContains(t, err, "unknown request type 42")
	_, err = DecodeRequest(MsgCompile, good[:len(good)-1])
	assert.ErrorContains(t, err, "ends inside a field")
	_, err = DecodeRequest(MsgCompile, append(append([]byte{}, good...), 0))
	assert.ErrorContains(t, err, "after the message")
	_, err = DecodeRequest(MsgKillWorker, Request{Type: MsgStartWorker, Entry: "run-worker"}.Encode())
	assert.ErrorContains(t, err, "after the message", "a start request read as a kill")

	// A compile with no args, env or files but a file count of 2^40.
	var e frame.Encoder
	e.Uvarint(1)
	e.Str(rustc)
	e.Strs(nil)
	e.Strs(nil)
	e.Uvarint(1 << 40)
	_, err = DecodeRequest(MsgCompile, e.B)
	assert.ErrorContains(t, err, "ends inside a field")

	for _, names := range [][]string{{"b", "a"}, {"a", "a"}} {
		var e frame.Encoder
		e.Uvarint(1)
		e.Str(rustc)
		e.Strs(nil)
		e.Strs(nil)
		e.Uvarint(2)
		for _, n := range names {
			e.Str(n)
			e.Bytes(nil)
		}
		e.Bytes(nil) // stdin
		e.Strs(nil)
		for range 8 {
			e.Varint(0)
		}
		_, err = DecodeRequest(MsgCompile, e.B)
		assert.ErrorContains(t, err, "out of order or named twice", names)
	}
}

// FuzzDecodeRequest: no frame makes the keeper's decoder or its policy
// check panic or allocate beyond the input; what the decoder accepts
// encodes back to a frame that decodes to the same request, and a
// request the policy accepts names rustc and only work-dir files, a live
// worker, or a running compile.
func FuzzDecodeRequest(f *testing.F) {
	cmd := func() jail.Command {
		return jail.Command{Path: rustc, Args: []string{"--edition", "2021", "main.rs"}, Env: []string{"A=b"},
			Files: map[string][]byte{"main.rs": []byte("fn main(){}"), "src/x.rs": {}}, Collect: []string{"main.wasm"},
			Limits: jail.Limits{WallTimeMS: 1000}, Incremental: strings.Repeat("0f", 32)}
	}
	f.Add(MsgCompile, Request{Type: MsgCompile, Seq: 1, Compile: cmd()}.Encode())
	f.Add(MsgStartWorker, Request{Type: MsgStartWorker, Seq: 2, Entry: "run-worker"}.Encode())
	f.Add(MsgKillWorker, Request{Type: MsgKillWorker, Seq: 3, Worker: 3}.Encode())
	f.Add(MsgCancel, Request{Type: MsgCancel, Target: 1}.Encode())
	f.Add(byte(0), []byte{})
	p := testPolicy()
	f.Fuzz(func(t *testing.T, typ byte, b []byte) {
		r, err := DecodeRequest(typ, b)
		if err != nil {
			return
		}
		again := r.Encode()
		if !bytes.Equal(b, again) {
			// A varint may be spelled in more than one way; the
			// request it spells must not change.
			r2, err := DecodeRequest(typ, again)
			require.NoError(t, err)
			require.Equal(t, r, r2)
		}
		st := state{workers: []uint64{3}, compiles: []uint64{1}}
		if p.Check(r, st) == nil {
			switch typ {
			case MsgCompile:
				require.Equal(t, rustc, r.Compile.Path)
				require.NotEqual(t, uint64(1), r.Seq, "a number still running")
				for name := range r.Compile.Files {
					require.NoError(t, jail.CheckName(name))
					require.False(t, strings.HasPrefix(name, "target/incremental"))
				}
				require.True(t, r.Compile.Incremental == "" || incremental.ValidID(r.Compile.Incremental))
			case MsgKillWorker:
				require.Equal(t, uint64(3), r.Worker)
			case MsgCancel:
				require.Equal(t, uint64(1), r.Target)
			}
		}
	})
}
