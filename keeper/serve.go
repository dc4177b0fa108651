package keeper

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rocket-sandbox/rocket-sandbox/incremental"
	"github.com/rocket-sandbox/rocket-sandbox/internal/frame"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
	"github.com/rocket-sandbox/rocket-sandbox/worker"
)

// Keeper is the privileged side: it acts on the front door's requests
// that its policy allows, and on nothing else.
type Keeper struct {
	Policy Policy
	// Jail runs compiles; Starter starts workers (worker.InJail of the
	// same jail).
	Jail *jail.Jail
	// Incremental, when set, keeps the clients' incremental compile
	// directories: a compile request names one by id
	// (jail.Command.Incremental), which the keeper maps to its own.
	Incremental *incremental.Store
	Starter     worker.Starter
	// Resident is how a worker is jailed (memory, pids, descriptors):
	// the keeper's own figures, never the front door's. Its Entry is
	// the request's, once the policy allowed it.
	Resident jail.Resident

	wmu     sync.Mutex // one answer at a time on the connection
	mu      sync.Mutex
	workers map[uint64]worker.Process
	next    uint64
	// compiles are the running compiles, by the front door's number,
	// and what stops each.
	compiles map[uint64]context.CancelFunc
}

// Serve answers the front door's requests on conn until it closes or
// sends a malformed frame (then the connection is dropped: a front door
// that speaks garbage is not spoken to again). Every worker the keeper
// started is killed when Serve returns, and every compile still running
// is stopped. Compiles run concurrently, each to its end, its limits or a
// cancel request.
func (k *Keeper) Serve(ctx context.Context, conn *net.UnixConn) error {
	k.workers = map[uint64]worker.Process{}
	k.compiles = map[uint64]context.CancelFunc{}
	// Nobody waits for a compile once the conversation is over.
	ctx, stopCompiles := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // after the workers are killed and the compiles stopped
	defer stopCompiles()
	defer k.killAll()
	for {
		typ, p, err := frame.Read(conn, MaxRequestBytes)
		if err != nil {
			return fmt.Errorf("keeper: read: %w", err)
		}
		r, err := DecodeRequest(typ, p)
		if err != nil {
			return err
		}
		if err := k.Policy.Check(r, k); err != nil {
			k.send(conn, answer{Type: MsgRefused, Seq: r.Seq, Message: err.Error()}, -1)
			continue
		}
		switch r.Type {
		case MsgCompile:
			cctx, cancel := context.WithCancel(ctx)
			k.mu.Lock()
			k.compiles[r.Seq] = cancel
			k.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := (&incremental.Runner{Next: k.Jail, Store: k.Incremental}).Run(cctx, r.Compile)
				k.mu.Lock()
				delete(k.compiles, r.Seq)
				k.mu.Unlock()
				cancel()
				if err != nil {
					k.send(conn, answer{Type: MsgRefused, Seq: r.Seq, Message: err.Error()}, -1)
					return
				}
				k.send(conn, answer{Type: MsgCompiled, Seq: r.Seq, Result: res}, -1)
			}()
		case MsgStartWorker:
			k.start(conn, r)
		case MsgKillWorker:
			k.mu.Lock()
			proc := k.workers[r.Worker]
			k.mu.Unlock()
			if proc != nil { // it may have ended since the check
				proc.Kill() // its end is reported by start's watcher
			}
		case MsgCancel:
			k.mu.Lock()
			cancel := k.compiles[r.Target]
			k.mu.Unlock()
			if cancel != nil { // it may have ended since the check
				cancel() // the jail kills the job; its answer still goes out
			}
		}
	}
}

// start starts a worker and sends the front door its number, its pid and
// its connection.
func (k *Keeper) start(conn *net.UnixConn, r Request) {
	res := k.Resident
	res.Entry = r.Entry
	proc, wconn, err := k.Starter.Start(res)
	if err != nil {
		k.send(conn, answer{Type: MsgRefused, Seq: r.Seq, Message: err.Error()}, -1)
		return
	}
	defer wconn.Close()
	k.mu.Lock()
	k.next++
	id := k.next
	k.workers[id] = proc
	k.mu.Unlock()
	k.send(conn, answer{Type: MsgStarted, Seq: r.Seq, Worker: id, Pid: int64(proc.Pid())}, int(wconn.Fd()))
	go func() {
		<-proc.Done()
		exit := proc.Wait()
		k.mu.Lock()
		delete(k.workers, id)
		k.mu.Unlock()
		msg := ""
		if exit.Err != nil {
			msg = exit.Err.Error()
		}
		k.send(conn, answer{Type: MsgExited, Worker: id, Exit: exit, Message: msg}, -1)
	}()
}

// LiveWorker is State's: a worker this keeper started that has not ended.
func (k *Keeper) LiveWorker(id uint64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.workers[id]
	return ok
}

// RunningCompile is State's: a compile this keeper is running.
func (k *Keeper) RunningCompile(seq uint64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.compiles[seq]
	return ok
}

func (k *Keeper) killAll() {
	k.mu.Lock()
	procs := make([]worker.Process, 0, len(k.workers))
	for _, p := range k.workers {
		procs = append(procs, p)
	}
	k.mu.Unlock()
	for _, p := range procs {
		p.Kill()
		p.Wait()
	}
}

// send writes one answer, with fd as SCM_RIGHTS when fd >= 0 (sent with
// the frame's bytes, so the front door finds it with its frame). A write
// that fails means the front door is gone; Serve's read finds out.
func (k *Keeper) send(conn *net.UnixConn, a answer, fd int) {
	var buf bytes.Buffer
	frame.Write(&buf, a.Type, a.encode())
	k.wmu.Lock()
	defer k.wmu.Unlock()
	if fd < 0 {
		conn.Write(buf.Bytes())
		return
	}
	conn.WriteMsgUnix(buf.Bytes(), unix.UnixRights(fd), nil)
}
