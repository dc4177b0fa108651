package server

import (
	"bytes"
	"hash/maphash"
	"sync"
)

// A memoized answer is found by the request's result key, which the
// service computes from the parsed, validated and normalized request:
// for a large stub that reading is most of a memo hit's CPU (JSON
// validation, unescaping the stub, canonical args, the key's digest).
// The recall index skips it for an exact repeat: it maps a request's
// exact bytes on a route to the result key the service named for them.
// Both are functions of those bytes and the process's configuration,
// which does not change while it runs, so the index cannot change an
// answer: a recalled key is the key the full path would compute, and a
// key the memo no longer holds sends the request down the full path
// again. An entry keeps the request's bytes and is found by comparing
// them (a seeded 64-bit hash only picks the bucket), so two requests
// never share an entry. Only requests the service answered from or into
// the memo are indexed (a refused request has no key), and the index is
// bounded by bytes: the oldest entries make room for a new one.

// wire is a request as the recall index knows it: the route and every
// part of the request the route reads (for execute, the body; for run,
// the harness in the path, the query and the body). Headers that can
// refuse a request (Content-Type, Content-Encoding) are checked before
// the index is asked, and no other header changes a result.
type wire struct {
	route string
	parts [][]byte
}

func wireOf(route string, parts ...[]byte) wire { return wire{route, parts} }

func (w wire) size() int {
	n := len(w.route)
	for _, p := range w.parts {
		n += len(p)
	}
	return n
}

// sum is the seeded hash of w, parts separated by their lengths.
func (w wire) sum(seed maphash.Seed) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	h.WriteString(w.route)
	for _, p := range w.parts {
		var n [8]byte
		for i, l := 0, uint64(len(p)); i < 8; i, l = i+1, l>>8 {
			n[i] = byte(l)
		}
		h.Write(n[:])
		h.Write(p)
	}
	return h.Sum64()
}

func (w wire) equal(o wire) bool {
	if w.route != o.route || len(w.parts) != len(o.parts) {
		return false
	}
	for i := range w.parts {
		if !bytes.Equal(w.parts[i], o.parts[i]) {
			return false
		}
	}
	return true
}

// clone copies w's parts (they point into fasthttp's reused buffers).
func (w wire) clone() wire {
	c := wire{route: w.route, parts: make([][]byte, len(w.parts))}
	for i, p := range w.parts {
		c.parts[i] = bytes.Clone(p)
	}
	return c
}

// recalled is what the index keeps of a request: its result key, and its
// harness (an id the service accepted) for the log line and metrics.
type recalled struct {
	resultKey, harness string
}

type recallEntry struct {
	wire wire
	sum  uint64
	recalled
}

// recallIndex maps wires to what was recalled of them, within a byte
// budget (the requests' bytes kept, plus a fixed charge per entry); when
// full, the oldest entries are dropped. A request over a 64th of the
// budget is not indexed. Safe for concurrent use.
type recallIndex struct {
	seed   maphash.Seed
	budget int

	mu    sync.RWMutex
	bySum map[uint64][]*recallEntry
	queue []*recallEntry // insertion order, oldest first
	bytes int
}

// recallEntryOverhead is charged per entry besides its request's bytes:
// the keys, the map and the queue.
const recallEntryOverhead = 256

func newRecallIndex(budget int) *recallIndex {
	return &recallIndex{seed: maphash.MakeSeed(), budget: budget, bySum: map[uint64][]*recallEntry{}}
}

func (x *recallIndex) get(w wire) (recalled, bool) {
	sum := w.sum(x.seed)
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, e := range x.bySum[sum] {
		if e.wire.equal(w) {
			return e.recalled, true
		}
	}
	return recalled{}, false
}

func (x *recallIndex) put(w wire, r recalled) {
	cost := w.size() + recallEntryOverhead
	if cost > x.budget/64 {
		return
	}
	sum := w.sum(x.seed)
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, e := range x.bySum[sum] {
		if e.wire.equal(w) {
			e.recalled = r
			return
		}
	}
	for x.bytes+cost > x.budget && len(x.queue) > 0 {
		x.drop(x.queue[0])
		x.queue[0] = nil
		x.queue = x.queue[1:]
	}
	e := &recallEntry{wire: w.clone(), sum: sum, recalled: r}
	x.bySum[sum] = append(x.bySum[sum], e)
	x.queue = append(x.queue, e)
	x.bytes += cost
}

// drop removes e from the map (the caller removes it from the queue).
func (x *recallIndex) drop(e *recallEntry) {
	bucket := x.bySum[e.sum]
	for i, o := range bucket {
		if o == e {
			bucket = append(bucket[:i], bucket[i+1:]...)
			break
		}
	}
	if len(bucket) == 0 {
		delete(x.bySum, e.sum)
	} else {
		x.bySum[e.sum] = bucket
	}
	x.bytes -= e.wire.size() + recallEntryOverhead
}

// len is the number of entries.
func (x *recallIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.queue)
}
