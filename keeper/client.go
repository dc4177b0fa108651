package keeper

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/worker"
)

// maxAnswerBytes bounds an answer frame: a compile's output and files
// are bounded by the jail's max_limits far below it.
const maxAnswerBytes = 1 << 30

// Client is the front door's side: it implements compiler.Runner (Run)
// and worker.Starter (Start) by asking the keeper.
type Client struct {
	conn *net.UnixConn

	wmu sync.Mutex
	mu  sync.Mutex
	seq uint64
	// pending are the requests awaiting an answer, by sequence number.
	pending map[uint64]chan answer
	procs   map[uint64]*remoteProcess
	// fds are descriptors received and not yet matched with their
	// MsgStarted frame, in arrival order.
	fds  []int
	err  error // set when the connection failed; every call then fails
	done chan struct{}
}

// NewClient reads the keeper's answers on conn until it fails.
func NewClient(conn *net.UnixConn) *Client {
	c := &Client{conn: conn, pending: map[uint64]chan answer{}, procs: map[uint64]*remoteProcess{}, done: make(chan struct{})}
	go c.read()
	return c
}

// Close closes the connection: the keeper kills every worker it started.
func (c *Client) Close() error { return c.conn.Close() }

// readSome reads what has arrived, keeping any descriptors
// that arrive with the bytes.
func (c *Client) readSome(p []byte) (int, error) {
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := c.conn.ReadMsgUnix(p, oob)
	if oobn > 0 {
		msgs, perr := unix.ParseSocketControlMessage(oob[:oobn])
		if perr == nil {
			for _, m := range msgs {
				if fds, err := unix.ParseUnixRights(&m); err == nil {
					c.fds = append(c.fds, fds...)
				}
			}
		}
	}
	return n, err
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func (c *Client) read() {
	var err error
	defer func() {
		c.mu.Lock()
		c.err = fmt.Errorf("keeper: connection lost: %w", err)
		for seq, ch := range c.pending {
			close(ch)
			delete(c.pending, seq)
		}
		for id, p := range c.procs {
			p.end(jail.Exit{ExitCode: -1, Err: c.err})
			delete(c.procs, id)
		}
		c.mu.Unlock()
		close(c.done)
	}()
	for {
		var typ byte
		var p []byte
		if typ, p, err = frame.Read(readerFunc(c.readSome), maxAnswerBytes); err != nil {
			return
		}
		var a answer
		if a, err = decodeAnswer(typ, p); err != nil {
			return
		}
		c.mu.Lock()
		switch a.Type {
		case MsgExited:
			if proc := c.procs[a.Worker]; proc != nil {
				delete(c.procs, a.Worker)
				if a.Message != "" {
					a.Exit.Err = errors.New(a.Message)
				}
				proc.end(a.Exit)
			}
		default:
			if a.Type == MsgStarted {
				if len(c.fds) == 0 {
					c.mu.Unlock()
					err = errors.New("keeper: a started worker without its connection")
					return
				}
				a.fd = c.fds[0]
				c.fds = c.fds[1:]
			}
			if ch := c.pending[a.Seq]; ch != nil {
				delete(c.pending, a.Seq)
				ch <- a
			} else if a.Type == MsgStarted {
				unix.Close(a.fd)
			}
		}
		c.mu.Unlock()
	}
}

// call sends a request and waits for its answer.
func (c *Client) call(ctx context.Context, r Request) (answer, error) {
	ch := make(chan answer, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return answer{}, c.err
	}
	c.seq++
	r.Seq = c.seq
	c.pending[r.Seq] = ch
	c.mu.Unlock()
	c.wmu.Lock()
	err := frame.Write(c.conn, r.Type, r.Encode())
	c.wmu.Unlock()
	if err != nil {
		return answer{}, fmt.Errorf("keeper: send: %w", err)
	}
	select {
	case a, ok := <-ch:
		if !ok {
			c.mu.Lock()
			defer c.mu.Unlock()
			return answer{}, c.err
		}
		if a.Type == MsgRefused {
			return answer{}, errors.New(a.Message)
		}
		return a, nil
	case <-ctx.Done():
		// A compile is stopped: the keeper kills its jail (and still
		// answers, which nobody reads); a worker started meanwhile is
		// closed.
		if r.Type == MsgCompile {
			c.send(Request{Type: MsgCancel, Target: r.Seq})
		}
		go func() {
			if a, ok := <-ch; ok && a.Type == MsgStarted {
				unix.Close(a.fd)
				c.kill(a.Worker)
			}
		}()
		return answer{}, ctx.Err()
	}
}

// Run runs cmd in a compile jail, through the keeper (compiler.Runner).
func (c *Client) Run(ctx context.Context, cmd jail.Command) (jail.Result, error) {
	a, err := c.call(ctx, Request{Type: MsgCompile, Compile: cmd})
	if err != nil {
		return jail.Result{}, err
	}
	if a.Type != MsgCompiled {
		return jail.Result{}, fmt.Errorf("keeper: answer %d to a compile", a.Type)
	}
	return a.Result, nil
}

// Start asks the keeper for a worker running r.Entry (worker.Starter);
// the keeper decides its limits. The connection comes from the keeper.
func (c *Client) Start(r jail.Resident) (worker.Process, *os.File, error) {
	a, err := c.call(context.Background(), Request{Type: MsgStartWorker, Entry: r.Entry})
	if err != nil {
		return nil, nil, err
	}
	if a.Type != MsgStarted {
		return nil, nil, fmt.Errorf("keeper: answer %d to a start", a.Type)
	}
	if err := unix.SetNonblock(a.fd, true); err != nil {
		unix.Close(a.fd)
		return nil, nil, fmt.Errorf("keeper: worker connection: %w", err)
	}
	p := &remoteProcess{c: c, id: a.Worker, pid: int(a.Pid), done: make(chan struct{})}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		unix.Close(a.fd)
		return nil, nil, c.err
	}
	c.procs[a.Worker] = p
	c.mu.Unlock()
	return p, os.NewFile(uintptr(a.fd), "worker"), nil
}

// kill asks the keeper to kill worker id; no answer comes but its end.
func (c *Client) kill(id uint64) { c.send(Request{Type: MsgKillWorker, Worker: id}) }

// send sends a request that has no answer of its own (number 0, which
// no call has: a refusal of it, when what it names has just ended, is
// dropped). A failure means the keeper is gone, which the reader finds.
func (c *Client) send(r Request) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	frame.Write(c.conn, r.Type, r.Encode())
}

// remoteProcess is a worker the keeper started (worker.Process).
type remoteProcess struct {
	c    *Client
	id   uint64
	pid  int
	once sync.Once
	done chan struct{}
	exit jail.Exit
}

func (p *remoteProcess) Pid() int              { return p.pid }
func (p *remoteProcess) Kill()                 { p.c.kill(p.id) }
func (p *remoteProcess) Done() <-chan struct{} { return p.done }

func (p *remoteProcess) Wait() jail.Exit {
	<-p.done
	return p.exit
}

func (p *remoteProcess) end(e jail.Exit) {
	p.once.Do(func() {
		p.exit = e
		close(p.done)
	})
}
