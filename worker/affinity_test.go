package worker

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/jail"
	wasmrt "github.com/rocket-sandbox/rocket-sandbox/runtime"
)

// inProcess starts workers as goroutines serving a socketpair: the
// worker's protocol and engine without the jail, for the pool's routing.
type inProcess struct{ next atomic.Int64 }

func (s *inProcess) Start(jail.Resident) (Process, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	require.NoError(nil, unix.SetNonblock(fds[0], true))
	conn, theirs := os.NewFile(uintptr(fds[0]), "pool"), os.NewFile(uintptr(fds[1]), "worker")
	p := &goroutineProcess{pid: int(s.next.Add(1)), conn: theirs, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		_ = serve(context.Background(), theirs)
		theirs.Close()
	}()
	return p, conn, nil
}

type goroutineProcess struct {
	pid  int
	conn *os.File
	done chan struct{}
}

func (p *goroutineProcess) Pid() int              { return p.pid }
func (p *goroutineProcess) Kill()                 { _ = unix.Shutdown(int(p.conn.Fd()), unix.SHUT_RDWR) }
func (p *goroutineProcess) Done() <-chan struct{} { return p.done }
func (p *goroutineProcess) Wait() jail.Exit       { <-p.done; return jail.Exit{} }

func newInProcessPool(t *testing.T, cfg Config, mutate ...func(*wasmrt.Config)) *Pool {
	t.Helper()
	cfg.Enabled = true
	rt := testRuntime()
	for _, f := range mutate {
		f(&rt)
	}
	p, err := New(cfg, rt, 16<<20, &inProcess{}, nil)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

// holders counts the live workers the pool sent the module of job.
func holders(p *Pool, job wasmrt.Job) int {
	id := identity(job)
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for w := range p.live {
		if w.holds(id) {
			n++
		}
	}
	return n
}

// Many runs of one module at once on four workers compile and keep it in
// at most copies_per_module of them (half the workers by default), and a
// second module goes to the workers that hold the fewest.
func TestAModuleIsKeptByAtMostItsCopies(t *testing.T) {
	for _, c := range []struct {
		copies, want int
	}{{0, 2}, {1, 1}, {4, 4}} {
		t.Run(fmt.Sprint("copies ", c.copies), func(t *testing.T) {
			p := newInProcessPool(t, Config{Count: 4, CopiesPerModule: c.copies, AffinityWaitMS: 60_000})
			var wg sync.WaitGroup
			for i := range 32 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := runOK(t, p, guestJob("args", fmt.Sprint(i)))
					assert.Equal(t, fmt.Sprintf("guest|args|%d\n", i), string(res.Stdout))
				}()
			}
			wg.Wait()
			assert.LessOrEqual(t, holders(p, guestJob("args")), c.want)
			if c.copies == 4 {
				return // all four may hold it: nothing to prefer
			}
			// A new module goes to a worker that holds nothing yet.
			other := wasmrt.Job{Module: guestWasm, ModuleKey: "other", Args: []string{"guest", "hello"}}
			runOK(t, p, other)
			p.mu.Lock()
			defer p.mu.Unlock()
			for w := range p.live {
				if w.holds(identity(other)) {
					assert.False(t, w.holds(identity(guestJob("args"))), "the second module went to a worker already holding the first")
				}
			}
		})
	}
}

// A run that waits for a busy worker holding its module takes another
// worker once the affinity wait is over, rather than waiting for the busy
// one's run to end.
func TestARunWaitingForABusyHolderSpillsAfterTheWait(t *testing.T) {
	// The loop runs until canceled: its timeout is longer than the test.
	p := newInProcessPool(t, Config{Count: 2, CopiesPerModule: 1, AffinityWaitMS: 1}, func(rt *wasmrt.Config) { rt.TimeoutMS = 3_600_000 })
	loop := wasmrt.Job{Module: guestWasm, ModuleKey: "m", Args: []string{"guest", "loop"}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	looping := make(chan error, 1)
	runOK(t, p, wasmrt.Job{Module: guestWasm, ModuleKey: "m", Args: []string{"guest", "hello"}}) // one worker holds m
	go func() {
		_, err := p.Run(ctx, loop)
		looping <- err
	}()
	require.Eventually(t, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.idle) == 1
	}, time.Minute, time.Millisecond, "the loop holds a worker")
	res := runOK(t, p, wasmrt.Job{Module: guestWasm, ModuleKey: "m", Args: []string{"guest", "hello"}})
	assert.Equal(t, "hello, world\n", string(res.Stdout))
	select {
	case err := <-looping:
		t.Fatalf("the run waited for the loop to end: %v", err)
	default:
	}
	assert.Equal(t, 2, holders(p, loop), "the second worker compiled its copy")
	cancel()
	<-looping
}

// Runs on the same worker are fresh instances of the module it keeps: a
// run never sees the state of the run before it (the guest counts its
// runs in a global: it must print 1 every time).
func TestRunsOnTheSameWorkerShareNoState(t *testing.T) {
	p := newInProcessPool(t, Config{Count: 1})
	for range 5 {
		res := runOK(t, p, guestJob("count"))
		assert.Equal(t, "runs 1\n", string(res.Stdout))
	}
	assert.Equal(t, 1, holders(p, guestJob("count")), "one worker ran them all")
}
