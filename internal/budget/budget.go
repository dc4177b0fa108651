// Package budget bounds a quantity held by many at once (bytes of
// queued requests, of responses being written): each holder takes its
// share before it holds it and gives it back after, and a take that
// would go over the bound is refused instead of waiting, so that what
// is refused can be freed at once. It imports nothing of the project.
package budget

import "sync"

// Bytes is a bound on bytes held at once. The zero value holds nothing
// and refuses everything; use New.
type Bytes struct {
	mu   sync.Mutex
	used int64
	max  int64
}

// New returns a budget of max bytes.
func New(max int64) *Bytes { return &Bytes{max: max} }

// Take reserves n bytes, or says there is no room for them.
func (b *Bytes) Take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// Give returns n bytes taken before.
func (b *Bytes) Give(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
}

// InUse is the bytes taken and not given back.
func (b *Bytes) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
