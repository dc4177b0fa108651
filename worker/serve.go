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
	"sync"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/harnesses"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// entryName is the jail entry of a run worker.
const entryName = "run-worker"

func init() {
	// Cheap: one map entry. The jail's init of every job runs this.
	jail.RegisterEntry(entryName, serveConn)
}

// serveConn is the worker's whole life: it serves the server on conn
// until conn closes, then exits.
func serveConn(conn *os.File) int {
	if err := serve(context.Background(), conn); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintln(os.Stderr, "run worker:", err)
		return 1
	}
	return 0
}

// workerState is what a worker holds between runs: its engine and the
// module bytes it was sent, by identity, most recently used last.
type workerState struct {
	engine   *wasmrt.Engine
	modules  map[moduleID][]byte
	order    []moduleID
	max      int
	compiles compileLog
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
	}
	s.touch(id)
	for len(s.order) > s.max {
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
	st := &workerState{engine: engine, modules: map[moduleID][]byte{}, max: cfg.Runtime.MaxCompiledModules}
	engine.ObserveCompiles(&st.compiles)
	if st.max <= 0 {
		st.max = wasmrt.DefaultMaxCompiledModules
	}
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
