package worker

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// workerGCPercent is a worker's GOGC (see serveConn).
const workerGCPercent = 50

// entryName is the jail entry of a run worker.
const entryName = "run-worker"

func init() {
	// Cheap: one map entry. The jail's init of every job runs this.
	jail.RegisterEntry(entryName, serveConn)
}

// serveConn is the worker's whole life: it serves the server on conn
// until conn closes, then exits.
func serveConn(conn *os.File) int {
	// A worker's live heap is mostly the modules it keeps (their
	// decoded form, the interpreter's copies); what a run allocates is
	// small beside it. Collecting at half the live heap instead of all
	// of it keeps the worker near what its budgets hold, for a cycle
	// every few runs (docs/performance.md, "Memory per node").
	debug.SetGCPercent(workerGCPercent)
	if err := serve(context.Background(), conn); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(os.Stderr, "run worker:", err)
		return 1
	}
	return 0
}

// workerState is what a worker holds between runs: its engine and the
// module bytes it was sent, by identity, most recently used last.
type workerState struct {
	engine  *wasmrt.Engine
	modules map[moduleID][]byte
	order   []moduleID
	max     int
	// maxBytes bounds the module bytes kept (the engine's budget for
	// compiled modules: a module whose code was evicted is sent again).
	maxBytes, bytes int64
	compiles        compileLog
}

// compileLog keeps the engine's compiles until the next result reports
// them (wasmrt.CompileObserver; auto's background compiles report from
// their own goroutine).
type compileLog struct {
	mu      sync.Mutex
	pending []compileReport
}

func (l *compileLog) ModuleCompiled(engine string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) < maxCompileReports {
		l.pending = append(l.pending, compileReport{Engine: wasmrt.EngineKind(engine), Duration: d})
	}
}

func (l *compileLog) drain() []compileReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.pending
	l.pending = nil
	return out
}

func (s *workerState) load(id moduleID, module []byte) {
	if _, ok := s.modules[id]; !ok {
		s.modules[id] = module
		s.bytes += int64(len(module))
	}
	s.touch(id)
	// The newest is kept even over the bytes' bound: it is about to run.
	for len(s.order) > s.max || s.bytes > s.maxBytes && len(s.order) > 1 {
		s.bytes -= int64(len(s.modules[s.order[0]]))
		delete(s.modules, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *workerState) touch(id moduleID) {
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	s.order = append(s.order, id)
}

// serve reads the server's messages and answers each run, one at a time.
// A cancel for the run in progress stops it; any other message arrives
// between runs.
func serve(ctx context.Context, conn io.ReadWriter) error {
	r := bufio.NewReaderSize(conn, 64<<10)
	typ, p, err := frame.Read(r, maxConfigBytes)
	if err != nil {
		return err
	}
	if typ != msgConfigure {
		return fmt.Errorf("first message is %d, not a configuration", typ)
	}
	var cfg workerConfig
	if err := json.Unmarshal(p, &cfg); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	engine, err := wasmrt.New(ctx, cfg.Runtime)
	if err != nil {
		return err
	}
	defer engine.Close(context.Background())
	st := &workerState{engine: engine, modules: map[moduleID][]byte{}, max: engine.Config().MaxCompiledModules,
		maxBytes: engine.Config().CompiledModulesBytes}
	engine.ObserveCompiles(&st.compiles)
	stopReleasing := releaseFreedMemory(engine)
	defer stopReleasing()
	if err := frame.Write(conn, msgReady, encodeReady()); err != nil {
		return err
	}

	type inFrame struct {
		typ byte
		p   []byte
	}
	frames := make(chan inFrame)
	readErr := make(chan error, 1)
	var (
		mu      sync.Mutex
		current uint64
		cancel  context.CancelFunc
	)
	go func() {
		for {
			typ, p, err := frame.Read(r, cfg.MaxFrameBytes)
			if err != nil {
				readErr <- err
				close(frames)
				return
			}
			if typ == msgCancel {
				seq, err := decodeSeq(p)
				if err != nil {
					readErr <- err
					close(frames)
					return
				}
				mu.Lock()
				if seq == current && cancel != nil {
					cancel()
				}
				mu.Unlock()
				continue
			}
			frames <- inFrame{typ, p}
		}
	}()
	for f := range frames {
		switch f.typ {
		case msgLoad:
			id, module, err := decodeLoad(f.p)
			if err != nil {
				return err
			}
			st.load(id, module)
		case msgRun:
			m, err := decodeRun(f.p)
			if err != nil {
				return err
			}
			runCtx, stop := context.WithCancel(ctx)
			mu.Lock()
			current, cancel = m.Seq, stop
			mu.Unlock()
			res := st.run(runCtx, m)
			res.Compiles = st.compiles.drain()
			u := st.engine.CacheUsage()
			res.Cache = cacheReport{Modules: int64(u.CompiledModules), Bytes: u.CompiledModulesBytes}
			mu.Lock()
			cancel = nil
			mu.Unlock()
			stop()
			if err := frame.Write(conn, msgResult, res.encode()); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected message %d", f.typ)
		}
	}
	return <-readErr
}

// releaseInterval is how often a worker looks whether its engine let go
// of compiled modules.
const releaseInterval = time.Second

// releaseFreedMemory returns the memory of the compiled modules the
// engine let go of (auto's interpreted copy once the compiler's is
// ready: 35 bytes per byte of code, 100 MB for a mid-size Rocket app;
// an evicted module) to the system, once a second at most. Without it a
// worker keeps that memory: the collector frees it on its next cycle,
// but an idle worker allocates nothing and starts none, and the
// runtime's scavenger keeps what the heap's goal allows (twice the live
// heap). A forced collection of a worker's heap takes milliseconds.
func releaseFreedMemory(engine *wasmrt.Engine) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(releaseInterval)
		defer t.Stop()
		last := engine.CacheUsage().CompiledModulesBytes
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			now := engine.CacheUsage().CompiledModulesBytes
			if now < last {
				debug.FreeOSMemory()
			}
			last = now
		}
	}()
	return func() { close(done) }
}

// run runs one job and says what became of it.
func (s *workerState) run(ctx context.Context, m runMsg) resultMsg {
	out := resultMsg{Seq: m.Seq}
	module, ok := s.modules[m.Module]
	if !ok {
		out.Status = resultUnknownModule
		return out
	}
	s.touch(m.Module)
	// The identity names the module for the engine's own cache too, so
	// a run does not hash the module's bytes.
	job := wasmrt.Job{Module: module, ModuleKey: hex.EncodeToString(m.Module[:]), Seed: m.Seed, Stdin: m.Stdin,
		Args: m.Args, Limits: m.Limits, Connections: m.Connections, Env: m.Env, Files: m.Files}
	if m.Track {
		job.TrackResponse = func() wasmrt.ResponseTracker { return harnesses.HTTPResponseTracker() }
	}
	res, err := s.engine.Run(ctx, job)
	switch {
	case errors.Is(err, wasmrt.ErrInvalidModule):
		out.Status, out.Message = resultInvalidModule, err.Error()
	case err != nil:
		out.Status, out.Message = resultFailed, err.Error()
	default:
		out.Result = res
	}
	return out
}

// workerConfig is the msgConfigure payload (JSON: it comes from the
// server, and is read once).
type workerConfig struct {
	Runtime wasmrt.Config `json:"runtime"`
	// MaxFrameBytes bounds what the worker reads from the server.
	MaxFrameBytes int64 `json:"max_frame_bytes"`
}

// maxConfigBytes bounds the configuration message.
const maxConfigBytes = 1 << 20
