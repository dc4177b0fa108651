package e2e

// End-to-end tests of the one binary's main path: the real Fiber server on
// a loopback port, the real compile jail running Debian's rustc against
// the prepared Rocket 0.5.1, and the real wazero engine. They need
// `make setup` to have run (make test does it first).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	apiclient "github.com/rocket-sandbox/rocket-sandbox/client"
	"github.com/rocket-sandbox/rocket-sandbox/frontdoor"
	"github.com/rocket-sandbox/rocket-sandbox/internal/app"
	"github.com/rocket-sandbox/rocket-sandbox/internal/config"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/keeper"
	"github.com/rocket-sandbox/rocket-sandbox/sandbox"
	"github.com/rocket-sandbox/rocket-sandbox/server"
	"github.com/rocket-sandbox/rocket-sandbox/toolchain"
)

// Limits small enough to keep the limit tests quick.
const (
	testRunTimeout = 3 * time.Second
	testMemory     = 64 << 20
	testStdoutCap  = 64 << 10
)

var baseURL string

// mainConfig is the configuration of the service under test.
var mainConfig config.App

// frontDoorPid is the process serving baseURL when the suite runs split
// (the default), else 0.
var frontDoorPid int

// testdata is the project's test data, at its root: the benchmarks read it
// too.
const testdata = "../testdata"

func TestMain(m *testing.M) {
	jail.MaybeInit() // the jail re-executes this test binary as its init
	// With the split, the suite's service re-executes this test binary as
	// its front door, as serve does with its own binary.
	frontdoor.MaybeMain()
	os.Exit(runWithServer(m))
}

// runWithServer starts the service as `serve` runs it by default: this
// (root) process is the keeper, with the compile jail and the run
// workers, and the front door is this binary re-executed under
// front_door.uid with no privilege, serving baseURL. The off switches of
// the service are the suite's: ROCKET_SANDBOX_FRONT_DOOR_UID=0 runs the
// service in this process (as root), and ROCKET_SANDBOX_WORKERS=false as
// well runs its modules in process too.
func runWithServer(m *testing.M) int {
	ctx := context.Background()
	// A secret in the service's own environment: the attack corpus checks
	// it never reaches a response.
	os.Setenv("AWS_SECRET_ACCESS_KEY", canarySecret)
	cfg := config.Default()
	cfg.Runtime.TimeoutMS = testRunTimeout.Milliseconds()
	cfg.Runtime.MemoryLimitBytes = testMemory
	cfg.Runtime.StdoutLimitBytes = testStdoutCap
	// A request may raise its stdout cap to four times the default, and
	// lower any limit (e2e/replicas_limits_test.go).
	cfg.Service.MaxRequestLimits.StdoutBytes = 4 * testStdoutCap
	// Rocket's database examples ask for more time (e2e/db_test.go): a
	// test run of twenty requests, each a database round trip, and a
	// compile against the whole profile on a loaded machine.
	cfg.Service.MaxRequestLimits.RunTimeoutMS = dbRunTimeout.Milliseconds()
	cfg.Service.MaxRequestLimits.CompileWallTimeMS = dbCompileTimeout.Milliseconds()
	if v := os.Getenv("ROCKET_SANDBOX_FRONT_DOOR_UID"); v != "" {
		uid, err := strconv.Atoi(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: ROCKET_SANDBOX_FRONT_DOOR_UID:", err)
			return 1
		}
		cfg.FrontDoor.UID = uid
	}
	if os.Getenv("ROCKET_SANDBOX_WORKERS") == "false" {
		cfg.Workers.Enabled = false
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	// Fresh caches per run, so every test exercises the real pipeline the
	// first time it asks; searchable by others, so the front door's uid
	// reaches its stores below it.
	cacheDir, err := os.MkdirTemp("", "rocket-sandbox-e2e-cache-")
	if err == nil {
		err = os.Chmod(cacheDir, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(cacheDir)
	cfg.CachesIn(cacheDir)
	mainConfig = cfg
	if cfg.FrontDoor.UID != 0 {
		return runSplit(ctx, m, cfg, cacheDir)
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot start the service (did `make setup` run?):", err)
		return 1
	}
	defer a.Close(ctx)
	inProcess = func() (*sandbox.Service, error) { return a.Service(), nil }
	// Request lines are not what these tests read.
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := server.New(cfg.Server, a.Service(), quiet, server.WithMetrics(a.Metrics()))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: listen:", err)
		return 1
	}
	go srv.Listener(ln)
	defer srv.Shutdown()
	baseURL = "http://" + ln.Addr().String()
	return m.Run()
}

// runSplit runs the suite against the split service: the keeper in this
// process, the front door a child under cfg.FrontDoor.UID. Its log goes
// to a file, shown (its last lines) when the suite fails.
func runSplit(ctx context.Context, m *testing.M, cfg config.App, cacheDir string) int {
	k, err := app.NewKeeper(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot start the keeper (did `make setup` run?):", err)
		return 1
	}
	defer k.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: listen:", err)
		return 1
	}
	logPath := filepath.Join(cacheDir, "front-door.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer logFile.Close()
	s, err := frontdoor.Start(ctx, k, cfg, ln.(*net.TCPListener), "", logFile)
	ln.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot start the front door:", err)
		return 1
	}
	defer s.Stop(time.Minute)
	defer func() { closeInProcess() }() // set on first use
	frontDoorPid = s.Pid()
	baseURL = "http://" + ln.Addr().String()
	up := false
	for range 600 { // a minute
		if resp, err := http.Get(baseURL + "/healthz"); err == nil {
			resp.Body.Close()
			up = true
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	code := 1
	if up {
		inProcess = func() (*sandbox.Service, error) { return startInProcessSplit(ctx, cfg, cacheDir) }
		code = m.Run()
	}
	if code != 0 {
		b, _ := os.ReadFile(logPath)
		if len(b) > 16<<10 {
			b = b[len(b)-16<<10:]
		}
		fmt.Fprintf(os.Stderr, "e2e: the front door's log ends:\n%s\n", b)
	}
	return code
}

// inProcess gives the tests that wrap the service or put a server of
// their own configuration in front of it (server.Config, a spy) a
// sandbox.Service in this process: the suite's own without the split;
// with it, a second split service built in process (startInProcessSplit):
// its compiles and workers still go through a keeper over the keeper
// protocol.
var inProcess func() (*sandbox.Service, error)

// service returns the in-process service, starting it on first use.
func service(t *testing.T) *sandbox.Service {
	t.Helper()
	svc, err := inProcess()
	require.NoError(t, err)
	return svc
}

var (
	inProcessSvc   *sandbox.Service
	inProcessErr   error
	inProcessOnce  sync.Once
	closeInProcess = func() {}
)

// startInProcessSplit builds, once, the split service in this process: a
// keeper on one end of a socketpair, the front door's service on the
// other, with a jail instance and stores of its own (this process's
// keeper holds the suite's).
func startInProcessSplit(ctx context.Context, cfg config.App, cacheDir string) (*sandbox.Service, error) {
	inProcessOnce.Do(func() {
		cfg.CachesIn(filepath.Join(cacheDir, "in-process"))
		cfg.Jail.CgroupParent = "rocket-sandbox-jail-e2e-in-process"
		cfg.Jail.StateDir = "/run/rocket-sandbox/jail-e2e-in-process"
		var a *app.App
		var stop func()
		if a, stop, inProcessErr = startSplit(ctx, cfg); inProcessErr == nil {
			inProcessSvc = a.Service()
			closeInProcess = func() { a.Close(ctx); stop() }
		}
	})
	return inProcessSvc, inProcessErr
}

// startSplit builds the service as the split binary does, in process: a
// keeper on one end of a socketpair, the front door on the other.
// The returned function stops the keeper, after the front door closed.
func startSplit(ctx context.Context, cfg config.App) (*app.App, func(), error) {
	k, err := app.NewKeeper(cfg)
	if err != nil {
		return nil, nil, err
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		k.Close()
		return nil, nil, err
	}
	conns := make([]*net.UnixConn, 2)
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "keeper")
		c, _ := net.FileConn(f)
		f.Close()
		conns[i], _ = c.(*net.UnixConn)
	}
	served := make(chan struct{})
	go func() { k.Serve(ctx, conns[0]); close(served) }()
	stop := func() { conns[1].Close(); <-served; k.Close() }
	a, err := app.NewFrontDoor(ctx, cfg, k.Manifest, k.Fingerprint, keeper.NewClient(conns[1]))
	if err != nil {
		stop()
		return nil, nil, err
	}
	return a, stop, nil
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "e2e", name))
	require.NoError(t, err)
	return string(b)
}

// decodeResponse reads a 200 answer into the API's own response type.
func decodeResponse(t *testing.T, raw []byte) sandbox.Response {
	t.Helper()
	var r sandbox.Response
	require.NoError(t, json.Unmarshal(raw, &r), "body: %s", raw)
	return r
}

// decodeProblem reads a failure into the API's own error type, strictly:
// a failure has that shape and nothing else.
func decodeProblem(t *testing.T, raw []byte) server.Problem {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p server.Problem
	require.NoError(t, dec.Decode(&p), "error bodies are JSON in the one error shape: %s", raw)
	return p
}

// statusOf is the status of any answer, result or failure.
func statusOf(t *testing.T, code int, raw []byte) string {
	t.Helper()
	if code == http.StatusOK {
		return string(decodeResponse(t, raw).Status)
	}
	return decodeProblem(t, raw).Status
}

// client asks before sending a body (Expect: 100-continue), so a body the
// server refuses by its Content-Length gets the server's 413 rather than
// a reset connection while the client is still writing.
var client = &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}

func post(t *testing.T, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	if len(body) > mainConfig.Server.MaxBodyBytes {
		return postOversized(t, path, contentType, len(body))
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+path, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Expect", "100-continue")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// postOversized announces a body of n bytes, over the server's limit
// (Content-Length, Expect: 100-continue), sends none of it, and reads
// the answer. fasthttp answers "100 Continue" and then refuses by the
// length without reading the body and closes; a client that sends the
// body after the 100 (Go's does) races that close, and a reset while it
// writes hides the server's answer. Sending nothing shows the refusal,
// and that it needs none of the body.
func postOversized(t *testing.T, path, contentType string, n int) (int, []byte) {
	t.Helper()
	host := strings.TrimPrefix(baseURL, "http://")
	conn, err := net.DialTimeout("tcp", host, 10*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(time.Minute)))
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", path, host, contentType, n)
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	for {
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		if resp.StatusCode == http.StatusContinue {
			continue
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, b
	}
}

// api is the project's Go client, strict: an answer with a field its
// generated types (the contract's) lack fails the test that got it.
func api() *apiclient.Client {
	c := apiclient.New(baseURL).WithHTTPClient(client)
	c.Strict = true
	return c
}

// execute sends req through the Go client and returns the answer as the
// service's own type, and its bytes.
func execute(t *testing.T, req map[string]any) (sandbox.Response, []byte) {
	t.Helper()
	body, err := json.Marshal(req)
	require.NoError(t, err)
	_, raw, err := api().ExecuteJSON(context.Background(), body)
	require.NoError(t, err, "body: %s", raw)
	return decodeResponse(t, raw), raw
}

func probe(t *testing.T, command string, extra map[string]any) sandbox.Response {
	t.Helper()
	req := map[string]any{"harness": "program", "stub": readTestdata(t, "probe.rs"), "args": map[string]any{"stdin": command}}
	for k, v := range extra {
		req[k] = v
	}
	r, _ := execute(t, req)
	require.NotNil(t, r.Compile)
	require.True(t, r.Compile.Success, "probe must compile: %s", r.Compile.Stderr)
	require.NotNil(t, r.Run)
	return r
}

func TestHelloWorldThroughTheAPI(t *testing.T) {
	r, _ := execute(t, map[string]any{"harness": "program", "stub": readTestdata(t, "hello.rs")})
	assert.Equal(t, outcome.StatusOK, r.Status)
	require.NotNil(t, r.Run)
	assert.Contains(t, r.Run.Stdout, `Some("Hello, world!")`)
	assert.Greater(t, r.Compile.ModuleBytes, 0)
	require.NotNil(t, r.Run.ExitCode)
	assert.EqualValues(t, 0, *r.Run.ExitCode)
}

func TestCompileErrorReturnsDiagnostics(t *testing.T) {
	r, _ := execute(t, map[string]any{"harness": "program", "stub": readTestdata(t, "compile_error.rs")})
	assert.Equal(t, outcome.StatusCompileError, r.Status)
	require.NotNil(t, r.Compile)
	assert.False(t, r.Compile.Success)
	assert.Nil(t, r.Run, "nothing runs after a failed compile")
	assert.Contains(t, r.Compile.Stderr, "mismatched types")
	require.NotEmpty(t, r.Compile.Diagnostics)
	d := r.Compile.Diagnostics[0]
	assert.Equal(t, "error", d.Level)
	assert.Equal(t, 2, d.Line, "the error is on line 2 of the stub")
	assert.Equal(t, 18, d.Column)
}

func TestGuestPanicIsRuntimeError(t *testing.T) {
	r := probe(t, "panic", nil)
	assert.Equal(t, outcome.StatusRuntimeError, r.Status)
	assert.Contains(t, r.Run.Stderr, "boom from the guest")
	assert.NotEmpty(t, r.Run.Trap)
}

func TestNonZeroExitIsRuntimeError(t *testing.T) {
	r := probe(t, "exit3", nil)
	assert.Equal(t, outcome.StatusRuntimeError, r.Status)
	require.NotNil(t, r.Run.ExitCode)
	assert.EqualValues(t, 3, *r.Run.ExitCode)
}

func TestInfiniteLoopTimesOut(t *testing.T) {
	start := time.Now()
	r := probe(t, "loop", nil)
	assert.Equal(t, outcome.StatusTimeout, r.Status)
	// The run itself stops at the deadline plus a small margin.
	assert.Less(t, r.Run.DurationMS, (testRunTimeout + 2*time.Second).Milliseconds())
	assert.GreaterOrEqual(t, r.Run.DurationMS, testRunTimeout.Milliseconds()-100)
	t.Logf("request took %v", time.Since(start))
}

func TestAllocationPastTheCapIsMemoryLimit(t *testing.T) {
	r := probe(t, "alloc", nil)
	assert.Equal(t, outcome.StatusMemoryLimit, r.Status, "stderr: %s", r.Run.Stderr)
}

func TestEndlessPrintingIsOutputLimit(t *testing.T) {
	r := probe(t, "print", nil)
	assert.Equal(t, outcome.StatusOutputLimit, r.Status)
	assert.True(t, r.Run.StdoutTruncated)
	assert.Len(t, r.Run.Stdout, testStdoutCap)
	assert.True(t, strings.HasPrefix(r.Run.Stdout, strings.Repeat("y", 80)+"\n"))
}

func TestWallClockIsFrozen(t *testing.T) {
	r := probe(t, "time", nil)
	assert.Equal(t, outcome.StatusOK, r.Status)
	frozen := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	assert.Equal(t, fmt.Sprint(frozen), strings.TrimSpace(r.Run.Stdout))
}

func TestRandomnessFollowsTheSeed(t *testing.T) {
	a1 := probe(t, "rand", map[string]any{"seed": 1})
	a2 := probe(t, "rand", map[string]any{"seed": 1})
	b := probe(t, "rand", map[string]any{"seed": 2})
	def1 := probe(t, "rand", nil)
	def2 := probe(t, "rand", nil)
	for _, r := range []sandbox.Response{a1, a2, b, def1, def2} {
		require.Equal(t, outcome.StatusOK, r.Status)
		require.Len(t, strings.Fields(r.Run.Stdout), 2, "rand::random and RandomState")
	}
	assert.Equal(t, a1.Run.Stdout, a2.Run.Stdout, "same seed, same bytes")
	randA, hashA := strings.Fields(a1.Run.Stdout)[0], strings.Fields(a1.Run.Stdout)[1]
	randB, hashB := strings.Fields(b.Run.Stdout)[0], strings.Fields(b.Run.Stdout)[1]
	assert.NotEqual(t, randA, randB, "rand::random differs with the seed")
	assert.NotEqual(t, hashA, hashB, "RandomState differs with the seed")
	assert.Equal(t, def1.Run.Stdout, def2.Run.Stdout, "the derived seed is stable")
	assert.Equal(t, def1.Seed, def2.Seed)
	assert.Equal(t, "1", a1.Seed)
}

// normalize drops what legitimately varies between two runs of the same
// request (sandbox.WithoutVolatile).
func normalize(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	v, err := sandbox.WithoutVolatile(raw)
	require.NoError(t, err, "%s", raw)
	return v
}

func TestSameRequestSameBytes(t *testing.T) {
	req := map[string]any{"harness": "program", "stub": readTestdata(t, "hello.rs")}
	_, raw1 := execute(t, req)
	_, raw2 := execute(t, req)
	assert.Equal(t, normalize(t, raw1), normalize(t, raw2))
}

func TestCachesAnswerRepeatsAndNewArgs(t *testing.T) {
	stub := readTestdata(t, "probe.rs") + "// caches\n"
	get := func(stdin string) sandbox.Response {
		r, raw := execute(t, map[string]any{"harness": "program", "stub": stub, "args": map[string]any{"stdin": stdin}})
		require.NotNil(t, r.Cache, "%s", raw)
		require.NotNil(t, r.Compile, "%s", raw)
		require.NotNil(t, r.Run, "%s", raw)
		return r
	}
	first := get("time")
	assert.Equal(t, cache.Miss, first.Cache.Result)
	assert.Equal(t, cache.Miss, first.Cache.Module)
	again := get("time")
	assert.Equal(t, cache.Memory, again.Cache.Result, "the same request is memoized")
	assert.Equal(t, first.Run.Stdout, again.Run.Stdout)
	other := get("exit3")
	assert.Equal(t, cache.Miss, other.Cache.Result)
	assert.Equal(t, cache.Memory, other.Cache.Module, "new args reuse the compiled module")
	assert.True(t, other.Compile.Cached)
}

func TestPreparedDependenciesAreNotRebuilt(t *testing.T) {
	m, err := toolchain.Load(config.Default().StateDir)
	require.NoError(t, err)
	snapshot := func() map[string]time.Time {
		out := map[string]time.Time{}
		for _, dir := range []string{m.TargetDeps, m.HostDeps, m.Sysroot} {
			require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
				if err == nil && !info.IsDir() {
					out[p] = info.ModTime()
				}
				return err
			}))
		}
		return out
	}
	before := snapshot()
	require.NotEmpty(t, before)
	// A stub the service has not compiled before in this process.
	stub := readTestdata(t, "hello.rs") + fmt.Sprintf("\n// %d\n", time.Now().UnixNano())
	r, _ := execute(t, map[string]any{"harness": "program", "stub": stub})
	require.Equal(t, outcome.StatusOK, r.Status)
	assert.Equal(t, before, snapshot(), "a user compile must not touch the prepared artifacts")
}

func TestBadInputGetsClearErrors(t *testing.T) {
	big := strings.Repeat("a", 64<<10+1)
	cases := []struct {
		name      string
		body      []byte
		wantCode  int
		wantField string
	}{
		{"malformed JSON", []byte(`{"harness": "program", "stub": `), 400, ""},
		{"unknown harness", []byte(`{"harness": "nope", "stub": "fn main(){}"}`), 404, "harness"},
		{"missing stub", []byte(`{"harness": "program"}`), 400, "stub"},
		{"over-long stub", []byte(`{"harness": "program", "stub": "` + big + `"}`), 413, "stub"},
		{"invalid UTF-8", append([]byte(`{"harness": "program", "stub": "fn main(){}`), 0xff, '"', '}'), 400, ""},
		{"wrong arg type", []byte(`{"harness": "program", "stub": "fn main(){}", "args": {"stdin": 5}}`), 400, "args.stdin"},
		{"unknown arg", []byte(`{"harness": "program", "stub": "fn main(){}", "args": {"flags": "-C linker=/bin/sh"}}`), 400, "args.flags"},
		{"args not an object", []byte(`{"harness": "program", "stub": "fn main(){}", "args": [1]}`), 400, "args"},
		{"body too large", bytes.Repeat([]byte("x"), 2<<20), 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, raw := post(t, "/api/v1/execute", "application/json", c.body)
			assert.Equal(t, c.wantCode, code, "body: %s", raw)
			p := decodeProblem(t, raw)
			assert.Equal(t, server.StatusInvalidRequest, p.Status)
			assert.NotEmpty(t, p.Message)
			if c.wantField != "" {
				assert.Equal(t, c.wantField, p.Field)
			}
		})
	}
}

// listedHarness is one entry of GET /api/v1/harnesses.
type listedHarness struct {
	ID         string          `json:"id"`
	ArgsSchema json.RawMessage `json:"args_schema"`
	Example    json.RawMessage `json:"example"`
}

func listHarnesses(t *testing.T) []listedHarness {
	t.Helper()
	resp, err := http.Get(baseURL + "/api/v1/harnesses")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Harnesses []listedHarness `json:"harnesses"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return body.Harnesses
}

func TestHarnessesAndHealth(t *testing.T) {
	var ids []string
	for _, h := range listHarnesses(t) {
		ids = append(ids, h.ID)
		assert.True(t, json.Valid(h.ArgsSchema))
	}
	assert.Contains(t, ids, "program")

	hr, err := http.Get(baseURL + "/healthz")
	require.NoError(t, err)
	hr.Body.Close()
	assert.Equal(t, http.StatusOK, hr.StatusCode)
}
