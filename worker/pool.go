package worker

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// Starter starts workers: jail residents, each with a connection of its
// own. InJail starts them in this process's jail; across the privilege
// separation the keeper does, and the front door gets the connection.
type Starter interface {
	// Start starts r (whose Conn it makes: r.Conn is ignored) and
	// returns the process and the pool's end of its connection, which
	// is non-blocking so reads and writes can have deadlines.
	Start(r jail.Resident) (Process, *os.File, error)
}

// Process is a started worker as the pool sees it; *jail.Process is one.
type Process interface {
	Pid() int
	Kill()
	Done() <-chan struct{}
	Wait() jail.Exit
}

// InJail is the Starter that starts workers in j, from this process.
func InJail(j *jail.Jail) Starter { return inJail{j} }

type inJail struct{ j *jail.Jail }

func (s inJail) Start(r jail.Resident) (Process, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	// The worker's end blocks (it has nothing else to do).
	if err := unix.SetNonblock(fds[1], false); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	conn := os.NewFile(uintptr(fds[0]), "worker")
	r.Conn = os.NewFile(uintptr(fds[1]), "worker-conn")
	proc, err := s.j.Start(r)
	r.Conn.Close()
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return proc, conn, nil
}

// Pool runs jobs in run workers: it implements the engine seam of package
// sandbox (Run), as *runtime.Engine does in process. It keeps Count
// workers, hands each job to an idle one that holds the job's module (or
// waits for one: at most CopiesPerModule workers compile and keep the
// same module), and replaces any worker that dies, hangs or breaks the
// protocol.
type Pool struct {
	cfg     Config
	rt      wasmrt.Config
	starter Starter
	log     *slog.Logger
	// maxToWorker and maxFromWorker bound frames each way.
	maxToWorker, maxFromWorker int64
	memoryBytes                int64
	// copies is how many workers may hold the same module before a run
	// waits for one of them (Config.Copies).
	copies int

	// observer hears of the workers' wazero compiles (ObserveCompiles).
	observer atomic.Pointer[wasmrt.CompileObserver]

	mu     sync.Mutex
	idle   []*worker
	wake   chan struct{} // closed and replaced when a worker becomes idle
	live   map[*worker]struct{}
	closed bool
	// replacing counts replacements in progress; Close waits for them.
	replacing sync.WaitGroup
}

// New starts cfg.Count workers through s, each running rt (whose
// compilation cache directory is not used: a worker has no file system).
// maxModuleBytes is the largest module a job may carry. It fails if a
// worker cannot be started: at start-up, not at the first run.
func New(cfg Config, rt wasmrt.Config, maxModuleBytes int64, s Starter, log *slog.Logger) (*Pool, error) {
	cfg = check.WithDefaults(cfg, DefaultConfig())
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("worker: bad config: %w", err)
	}
	rt = cfg.engine(check.WithDefaults(rt, wasmrt.DefaultConfig()))
	if err := rt.Validate(); err != nil {
		return nil, fmt.Errorf("worker: bad runtime config: %w", err)
	}
	rt.CompilationCacheDir = ""
	if log == nil {
		log = slog.Default()
	}
	p := &Pool{cfg: cfg, rt: rt, starter: s, log: log, wake: make(chan struct{}), live: map[*worker]struct{}{},
		copies: cfg.Copies(max(cfg.Count, 1))}
	// A run carries its stdin and connections (each bounded by the
	// request body) and, once per worker, the module.
	p.maxToWorker = maxModuleBytes + 64<<20
	// A result: stdout, the responses (sharing stdout's cap), the
	// records (a budget of the same size), stderr, and the messages.
	p.maxFromWorker = 3*rt.StdoutLimitBytes + rt.StderrLimitBytes + 4*maxTrapBytes
	p.memoryBytes = Resident(cfg, rt, maxModuleBytes).MemoryBytes
	for range max(cfg.Count, 1) {
		w, err := p.start()
		if err != nil {
			p.Close()
			return nil, err
		}
		p.idle = append(p.idle, w)
	}
	return p, nil
}

// ObserveCompiles has o told of every module compile the workers make
// from now on, as runtime.Engine.ObserveCompiles in process: each result
// carries the compiles its worker made since the one before.
func (p *Pool) ObserveCompiles(o wasmrt.CompileObserver) { p.observer.Store(&o) }

// Resident is how a run worker of cfg running rt is jailed: the run-worker
// entry, its memory (cfg.MemoryBytes, or sized from rt's budgets), its
// threads and descriptors. The pool starts its workers so, and so does
// the keeper, which decides a worker's limits itself.
func Resident(cfg Config, rt wasmrt.Config, maxModuleBytes int64) jail.Resident {
	cfg = check.WithDefaults(cfg, DefaultConfig())
	rt = cfg.engine(check.WithDefaults(rt, wasmrt.DefaultConfig()))
	mem := cfg.MemoryBytes
	if mem == 0 {
		mem = defaultMemoryBytes(rt, maxModuleBytes)
	}
	return jail.Resident{Entry: entryName, MemoryBytes: mem, Pids: residentPids, OpenFiles: residentOpenFiles}
}

// defaultMemoryBytes sizes a worker's cgroup for what the engine's own
// budgets let it hold: one guest's linear memory at its cap, the compiled
// modules of each backend, the module bytes it keeps (bounded by the same
// budget, and one module over it), a result being encoded, and the Go
// runtime's and wazero's own.
func defaultMemoryBytes(rt wasmrt.Config, maxModuleBytes int64) int64 {
	backends := int64(1)
	if rt.Engine == wasmrt.EngineAuto {
		backends = 2
	}
	return rt.MemoryLimitBytes + backends*rt.CompiledModulesBytes +
		rt.CompiledModulesBytes + maxModuleBytes +
		2*(3*rt.StdoutLimitBytes+rt.StderrLimitBytes) + runtimeOverheadBytes
}

// runtimeOverheadBytes is the Go runtime's and wazero's memory in a worker
// beyond its budgets: a worker measured 15 MiB resident idle and 48 MiB
// holding two compiled modules (bench/results/worker-overhead.md).
const runtimeOverheadBytes = 256 << 20

// worker is one run worker as the server sees it.
type worker struct {
	// observer is the pool's (shared, so set after a worker started
	// still reaches it).
	observer *atomic.Pointer[wasmrt.CompileObserver]
	proc     Process
	conn     *os.File
	results  chan resultMsg
	dead     chan struct{} // closed when the connection failed
	deadErr  error
	seq      uint64
	// has is what the worker was sent (and each module's size), least
	// recently used first in order, bounded as the worker bounds what
	// it keeps (workerState.load), as a hint for routing; the worker
	// may have dropped a module since (it says so).
	// Guarded by hasMu: the run on the worker changes it while the pool
	// reads it for routing.
	hasMu           sync.Mutex
	has             map[moduleID]int64
	order           []moduleID
	max             int
	maxBytes, bytes int64
	// cache is what the worker's engine kept after its last run.
	cache atomic.Pointer[cacheReport]
	// running is the module of the run the worker was taken for, until
	// it is idle again (guarded by Pool.mu): a worker about to be sent
	// a module counts as holding it, so that runs taken at the same
	// moment do not each pick another worker to compile it.
	running *moduleID
}

// start starts one worker and waits for it to say it is ready.
func (p *Pool) start() (*worker, error) {
	proc, conn, err := p.starter.Start(p.resident(entryName))
	if err != nil {
		return nil, fmt.Errorf("worker: start: %w", err)
	}
	w := &worker{observer: &p.observer, proc: proc, conn: conn, results: make(chan resultMsg, 1), dead: make(chan struct{}),
		has: map[moduleID]int64{}, max: p.rt.MaxCompiledModules, maxBytes: p.rt.CompiledModulesBytes}
	if err := p.handshake(w); err != nil {
		w.kill()
		return nil, fmt.Errorf("worker: start: %w", err)
	}
	go w.read(p.maxFromWorker)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		w.kill()
		return nil, wasmrt.ErrClosed
	}
	p.live[w] = struct{}{}
	go p.watch(w)
	return w, nil
}

// watch replaces w if it dies while idle (a run in progress on it finds
// out itself, and release replaces it).
func (p *Pool) watch(w *worker) {
	<-w.dead
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, idle := range p.idle {
		if idle == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			delete(p.live, w)
			w.kill()
			p.log.Error("worker: died while idle; replacing it", "err", w.deadErr)
			if !p.closed {
				p.replacing.Add(1)
				go p.replace()
			}
			return
		}
	}
}

// resident is how a worker is jailed: entry, with its limits.
func (p *Pool) resident(entry string) jail.Resident {
	return jail.Resident{Entry: entry, MemoryBytes: p.memoryBytes, Pids: residentPids, OpenFiles: residentOpenFiles}
}

// Threads and descriptors a worker may have: the Go runtime's threads
// (GOMAXPROCS, blocked system calls, wazero's background compiles) and
// its connection, stdio and the runtime's poller.
const (
	residentPids      = 256
	residentOpenFiles = 32
)

// handshakeTimeout bounds a new worker's configuration.
const handshakeTimeout = 30 * time.Second

func (p *Pool) handshake(w *worker) error {
	cfg, err := json.Marshal(workerConfig{Runtime: p.rt, MaxFrameBytes: p.maxToWorker})
	if err != nil {
		return err
	}
	_ = w.conn.SetDeadline(time.Now().Add(handshakeTimeout))
	defer w.conn.SetDeadline(time.Time{})
	if err := frame.Write(w.conn, msgConfigure, cfg); err != nil {
		return err
	}
	typ, payload, err := frame.Read(w.conn, 64)
	if err != nil {
		return fmt.Errorf("no ready message: %w (stderr: %s)", err, w.stderr())
	}
	if typ != msgReady {
		return fmt.Errorf("message %d instead of ready", typ)
	}
	return decodeReady(payload)
}

// stderr is what a dead worker said, for the log.
func (w *worker) stderr() string {
	select {
	case <-w.proc.Done():
		return string(w.proc.Wait().Stderr)
	default:
		return ""
	}
}

// read delivers the worker's results until the connection fails. A
// message that is not a well-formed result is a broken worker: it is
// killed.
func (w *worker) read(maxBytes int64) {
	defer close(w.dead)
	for {
		typ, payload, err := frame.Read(w.conn, maxBytes)
		if err == nil && typ != msgResult {
			err = fmt.Errorf("worker: unexpected message %d", typ)
		}
		var m resultMsg
		if err == nil {
			m, err = decodeResult(payload)
		}
		if err != nil {
			w.deadErr = err
			w.kill()
			return
		}
		if o := w.observer.Load(); o != nil {
			for _, c := range m.Compiles {
				(*o).ModuleCompiled(string(c.Engine), c.Duration)
			}
		}
		w.cache.Store(&m.Cache)
		select {
		case w.results <- m:
		default:
			w.deadErr = errors.New("worker: a result nobody asked for")
			w.kill()
			return
		}
	}
}

func (w *worker) kill() {
	w.proc.Kill()
	w.conn.Close()
}

func (w *worker) holds(id moduleID) bool {
	w.hasMu.Lock()
	defer w.hasMu.Unlock()
	_, ok := w.has[id]
	return ok
}

// used records a run of module id on w, sent to it now if size > 0,
// in the order the worker keeps its modules.
func (w *worker) used(id moduleID, size int64) {
	w.hasMu.Lock()
	defer w.hasMu.Unlock()
	if _, ok := w.has[id]; !ok {
		if size == 0 {
			return
		}
		w.has[id] = size
		w.bytes += size
	}
	w.order = slices.DeleteFunc(w.order, func(o moduleID) bool { return o == id })
	w.order = append(w.order, id)
	for len(w.order) > w.max || w.bytes > w.maxBytes && len(w.order) > 1 {
		w.bytes -= w.has[w.order[0]]
		delete(w.has, w.order[0])
		w.order = w.order[1:]
	}
}

// held counts the modules w was sent and is thought to keep.
func (w *worker) held() int {
	w.hasMu.Lock()
	defer w.hasMu.Unlock()
	return len(w.has)
}

func (w *worker) forget(id moduleID) {
	w.hasMu.Lock()
	defer w.hasMu.Unlock()
	if size, ok := w.has[id]; ok {
		w.bytes -= size
		delete(w.has, id)
		w.order = slices.DeleteFunc(w.order, func(o moduleID) bool { return o == id })
	}
}

// Run runs job in a worker and reports what the guest did, as
// runtime.Engine.Run does in process: the same Result for the same job.
// What happens to the worker decides the rest:
//
//   - it answers: its result, or its engine's error;
//   - its cgroup's memory limit kills it: the run hit the memory limit
//     (memory_limit): the cgroup holds the engine's budgets and one
//     guest at its cap, so what went past them is this run's;
//   - it does not answer within the run's timeout and the hang grace:
//     the run timed out (timeout), and the worker is killed;
//   - it dies otherwise (a crash, a kill from outside, a broken
//     message): an error (internal_error): the service failed, not the
//     program.
//
// A worker that did not answer normally is replaced; other runs, in
// other workers, are not affected.
//
// A job that names its module by ModuleKey without its bytes is
// runtime.ErrNoModule unless a worker holds that module, as with
// runtime.Engine.
func (p *Pool) Run(ctx context.Context, job wasmrt.Job) (wasmrt.Result, error) {
	id := identity(job)
	if job.Module == nil && !p.held(id) {
		return wasmrt.Result{}, wasmrt.ErrNoModule
	}
	w, err := p.acquire(ctx, id)
	if err != nil {
		return wasmrt.Result{}, err
	}
	if job.Module == nil && !w.holds(id) {
		p.release(w, true)
		return wasmrt.Result{}, wasmrt.ErrNoModule
	}
	res, healthy, err := p.runOn(ctx, w, id, job)
	p.release(w, healthy)
	return res, err
}

// identity is the module's name on the wire: from its ModuleKey (the
// service's compile key, which names the bytes without reading them)
// when it has one, else from its bytes. The two kinds never collide.
func identity(job wasmrt.Job) moduleID {
	if job.ModuleKey != "" {
		return sha256.Sum256([]byte("key\x00" + job.ModuleKey))
	}
	return sha256.Sum256(append([]byte("bytes\x00"), job.Module...))
}

// Holds reports whether a worker was sent the module named moduleKey
// (sandbox then runs it without reading its bytes). A worker may have
// dropped it since: a run then returns runtime.ErrNoModule.
func (p *Pool) Holds(moduleKey string) bool {
	return p.held(identity(wasmrt.Job{ModuleKey: moduleKey}))
}

func (p *Pool) held(id moduleID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for w := range p.live {
		if w.holds(id) {
			return true
		}
	}
	return false
}

func (p *Pool) runOn(ctx context.Context, w *worker, id moduleID, job wasmrt.Job) (wasmrt.Result, bool, error) {
	timeout := p.rt.Timeout()
	if job.Limits.Timeout > 0 && job.Limits.Timeout < timeout {
		timeout = job.Limits.Timeout
	}
	m := runMsg{Module: id, Seed: job.Seed, Stdin: job.Stdin, Args: job.Args, Limits: job.Limits,
		Connections: job.Connections, Track: job.TrackResponse != nil, Env: job.Env, Files: job.Files}
	for range 2 {
		w.seq++
		m.Seq = w.seq
		if !w.holds(id) {
			if err := w.send(msgLoad, encodeLoad(id, job.Module)); err != nil {
				return p.lost(w, job, err)
			}
			w.used(id, max(int64(len(job.Module)), 1))
		} else {
			w.used(id, 0)
		}
		if err := w.send(msgRun, m.encode()); err != nil {
			return p.lost(w, job, err)
		}
		r, healthy, err := p.await(ctx, w, m.Seq, timeout+p.cfg.HangGrace(), job)
		if err != nil || !healthy {
			return r.Result, healthy, err
		}
		switch r.Status {
		case resultOK:
			return r.Result, true, nil
		case resultInvalidModule:
			return wasmrt.Result{}, true, fmt.Errorf("%w (in a worker): %s", wasmrt.ErrInvalidModule, r.Message)
		case resultFailed:
			if ctx.Err() != nil {
				return wasmrt.Result{}, true, fmt.Errorf("runtime: run stopped: %w", context.Cause(ctx))
			}
			return wasmrt.Result{}, true, fmt.Errorf("worker: %s", r.Message)
		case resultUnknownModule:
			w.forget(id) // dropped since: send it again
			if job.Module == nil {
				return wasmrt.Result{}, true, wasmrt.ErrNoModule
			}
		}
	}
	return wasmrt.Result{}, false, errors.New("worker: does not keep the module it was sent")
}

// sendTimeout bounds a write to an idle worker, which reads all the time.
const sendTimeout = 30 * time.Second

func (w *worker) send(typ byte, payload []byte) error {
	_ = w.conn.SetWriteDeadline(time.Now().Add(sendTimeout))
	return frame.Write(w.conn, typ, payload)
}

// cancelGrace is how long a canceled run may take to stop before its
// worker is killed.
const cancelGrace = 5 * time.Second

// await waits for the result of run seq. healthy is false when the worker
// was lost (and must be replaced).
func (p *Pool) await(ctx context.Context, w *worker, seq uint64, limit time.Duration, job wasmrt.Job) (resultMsg, bool, error) {
	timer := time.NewTimer(limit)
	defer timer.Stop()
	done := ctx.Done()
	for {
		select {
		case r := <-w.results:
			if r.Seq != seq {
				w.kill()
				res, _, err := p.lost(w, job, fmt.Errorf("worker: result %d for run %d", r.Seq, seq))
				return resultMsg{Result: res}, false, err
			}
			return r, true, nil
		case <-w.dead:
			res, _, err := p.lost(w, job, w.deadErr)
			return resultMsg{Result: res}, false, err
		case <-timer.C:
			w.kill()
			p.log.Error("worker: a run went past its timeout and the hang grace; worker killed", "timeout", limit)
			<-w.proc.Done()
			return resultMsg{Result: limitResult(job, outcome.LimitTime)}, false, nil
		case <-done:
			// Ask the worker to stop the run; it answers with the run's
			// end, and stays usable. One that does not is killed.
			if err := w.send(msgCancel, encodeSeq(seq)); err != nil {
				w.kill()
			}
			done = nil
			timer.Reset(cancelGrace)
		}
	}
}

// lost is the answer for a run whose worker died (or is killed now): a
// memory limit if its cgroup killed it, else the service's failure.
func (p *Pool) lost(w *worker, job wasmrt.Job, cause error) (wasmrt.Result, bool, error) {
	w.kill()
	exit := w.proc.Wait()
	if exit.OOMKilled {
		return limitResult(job, outcome.LimitMemory), false, nil
	}
	p.log.Error("worker: lost during a run", "err", cause, "exit_code", exit.ExitCode, "signaled", exit.Signaled, "stderr", string(exit.Stderr[:min(len(exit.Stderr), 2048)]))
	return wasmrt.Result{}, false, fmt.Errorf("worker: lost during the run (exit %d): %v", exit.ExitCode, cause)
}

// limitResult is the result of a run stopped by a limit outside the
// worker: nothing of its output survives.
func limitResult(job wasmrt.Job, limit outcome.Limit) wasmrt.Result {
	r := wasmrt.Result{Run: outcome.Run{Limit: limit, Stdout: []byte{}, Stderr: []byte{}}}
	if n := len(job.Connections); n > 0 {
		r.Responses = make([][]byte, n)
		for i := range r.Responses {
			r.Responses[i] = []byte{}
		}
	}
	return r
}

// acquire takes an idle worker for a run of module id: one that holds
// it; else, while fewer than p.copies workers hold it, the idle worker
// that holds the fewest modules (it compiles a copy); else it waits for
// a holder, and after the affinity wait takes any idle worker. A run of a
// module no worker holds takes any idle worker at once.
//
// Why wait rather than spread: each worker compiles a module it is sent
// (1–3 s of CPU for a Rocket app) and keeps its own copy (its compiled
// code is the worker's memory, and no worker may run code another
// wrote), while a run is CPU-bound: more copies than CPUs add memory and
// compiles, not throughput (docs/performance.md, "Memory per node").
func (p *Pool) acquire(ctx context.Context, id moduleID) (*worker, error) {
	var spill <-chan time.Time
	spilled := false
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, wasmrt.ErrClosed
		}
		if pick := p.pickLocked(id, spilled); pick >= 0 {
			w := p.idle[pick]
			p.idle = append(p.idle[:pick], p.idle[pick+1:]...)
			w.running = &id
			p.mu.Unlock()
			return w, nil
		}
		wake := p.wake
		p.mu.Unlock()
		if spill == nil && !spilled {
			t := time.NewTimer(p.cfg.AffinityWait())
			defer t.Stop()
			spill = t.C
		}
		select {
		case <-wake:
		case <-spill:
			spilled, spill = true, nil
		case <-ctx.Done():
			return nil, fmt.Errorf("worker: waiting for a worker: %w", context.Cause(ctx))
		}
	}
}

// pickLocked chooses the idle worker for a run of module id (see
// acquire), or -1 to wait.
func (p *Pool) pickLocked(id moduleID, spilled bool) int {
	for i, w := range p.idle {
		if w.holds(id) {
			return i
		}
	}
	if len(p.idle) == 0 {
		return -1
	}
	if !spilled {
		holders := 0
		for w := range p.live {
			if w.running != nil && *w.running == id || w.holds(id) {
				holders++
			}
		}
		if holders >= p.copies {
			return -1
		}
	}
	pick := 0
	for i, w := range p.idle {
		if w.held() < p.idle[pick].held() {
			pick = i
		}
	}
	return pick
}

// release returns w to the pool, or replaces it.
func (p *Pool) release(w *worker, healthy bool) {
	if healthy {
		select {
		case <-w.dead:
			healthy = false
		default:
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	w.running = nil
	if !healthy {
		w.kill()
		delete(p.live, w)
		if !p.closed {
			p.replacing.Add(1)
			go p.replace()
		}
		return
	}
	if p.closed {
		w.kill()
		return
	}
	p.idle = append(p.idle, w)
	close(p.wake)
	p.wake = make(chan struct{})
}

// replace starts a worker in place of a lost one, retrying with a pause
// while starting fails (the runs wait meanwhile, within their deadlines).
func (p *Pool) replace() {
	defer p.replacing.Done()
	for pause := 100 * time.Millisecond; ; pause = min(2*pause, 10*time.Second) {
		w, err := p.start()
		if err == nil {
			p.release(w, true)
			return
		}
		if errors.Is(err, wasmrt.ErrClosed) {
			return
		}
		p.log.Error("worker: cannot start a replacement", "err", err)
		time.Sleep(pause)
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return
		}
	}
}

// Pids are the process ids of the live workers (for tests and metrics).
func (p *Pool) Pids() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pids []int
	for w := range p.live {
		pids = append(pids, w.proc.Pid())
	}
	return pids
}

// CacheUsage is what the live workers' engines keep, summed: their
// compiled modules and the bytes charged for them, as each reported
// with its last result (for metrics: runtime.Engine.CacheUsage in
// process).
func (p *Pool) CacheUsage() wasmrt.CacheUsage {
	p.mu.Lock()
	defer p.mu.Unlock()
	var u wasmrt.CacheUsage
	for w := range p.live {
		if c := w.cache.Load(); c != nil {
			u.CompiledModules += int(c.Modules)
			u.CompiledModulesBytes += c.Bytes
		}
	}
	return u
}

// MemoryBytes is each worker's cgroup memory limit.
func (p *Pool) MemoryBytes() int64 { return p.memoryBytes }

// Close kills every worker. Runs in progress fail; call it after the
// service has stopped taking requests.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	live := p.live
	p.live = map[*worker]struct{}{}
	p.idle = nil
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
	for w := range live {
		w.kill()
		w.proc.Wait()
	}
	p.replacing.Wait()
}
