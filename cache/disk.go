package cache

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// disk is the persistent tier: one file per value under dir/<key[:2]>/,
// within a byte budget. Every file carries a checksum of its key and
// value, so that a torn write, a flipped byte, a truncation, or a file
// replaced by something else (a directory, a symlink, a FIFO) is detected
// on read; such an entry is a miss and is removed. The index (sizes and a
// least-recently-used order) is built from the directory when the store
// opens, oldest modification first: a disk hit refreshes the file's
// modification time, so the order survives a restart.
type disk struct {
	dir    string
	budget int64
	// maxFile bounds what a read accepts: a file larger than any value
	// the store can hold is corrupt and is not read into memory.
	maxFile int64

	mu    sync.Mutex
	index map[string]*list.Element // key -> element of lru
	lru   *list.List               // of *diskEntry, most recently used first
	bytes int64
}

type diskEntry struct {
	key  string
	size int64
}

// fileMagic starts every entry file; the format is fileMagic, then
// sha256(len(key) key value) (32 bytes), then the value.
const fileMagic = "RSC1"

const headerSize = len(fileMagic) + sha256.Size

// staleTemp is how old a half-written temporary file must be before the
// store, when it opens, takes it for the leftover of a crash; a younger
// one may be another process's write in progress.
const staleTemp = 10 * time.Minute

func checksum(key string, value []byte) [sha256.Size]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s", len(key), key)
	h.Write(value)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// openDisk creates dir if missing and indexes what is in it, removing
// what cannot be an entry, then evicts down to the budget.
func openDisk(dir string, budget, maxValue int64) (*disk, error) {
	// Directories made above the tier are others' to search (0755): with
	// the split the front door, under its own uid, must reach a store an
	// offline command (`run`, `examples`, as root) created first.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("cache: disk tier: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("cache: disk tier: %w", err)
	}
	d := &disk{dir: dir, budget: budget, maxFile: maxValue + int64(headerSize),
		index: map[string]*list.Element{}, lru: list.New()}
	type found struct {
		key   string
		size  int64
		mtime time.Time
	}
	var all []found
	shards, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cache: disk tier: %w", err)
	}
	for _, sh := range shards {
		p := filepath.Join(dir, sh.Name())
		if !sh.IsDir() || len(sh.Name()) != 2 {
			// A symlink or a file where a shard directory belongs
			// would send writes elsewhere: not the store's.
			removeBad(p)
			continue
		}
		files, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("cache: disk tier: %w", err)
		}
		for _, f := range files {
			fp := filepath.Join(p, f.Name())
			info, err := f.Info()
			if err != nil {
				continue // gone meanwhile
			}
			if strings.HasPrefix(f.Name(), ".tmp-") {
				if info.Mode().IsRegular() && time.Since(info.ModTime()) > staleTemp {
					os.Remove(fp)
				}
				continue
			}
			if !validKey(f.Name()) || f.Name()[:2] != sh.Name() || !info.Mode().IsRegular() ||
				info.Size() < int64(headerSize) || info.Size() > d.maxFile {
				removeBad(fp)
				continue
			}
			all = append(all, found{f.Name(), info.Size(), info.ModTime()})
		}
	}
	// Oldest first, so that the most recently used ends up in front.
	slices.SortFunc(all, func(a, b found) int { return a.mtime.Compare(b.mtime) })
	for _, f := range all {
		d.index[f.key] = d.lru.PushFront(&diskEntry{key: f.key, size: f.size})
		d.bytes += f.size
	}
	d.mu.Lock()
	d.evictLocked("")
	d.mu.Unlock()
	return d, nil
}

// removeBad removes a path that is not a valid entry: whatever it is, it
// is the store's own name, never followed (a symlink itself is removed,
// not its target).
func removeBad(p string) {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		os.RemoveAll(p) // a non-empty directory
	}
}

func (d *disk) path(key string) string { return filepath.Join(d.dir, key[:2], key) }

// get reads and verifies key's file. Any defect makes it a miss, and the
// file is removed.
func (d *disk) get(key string) ([]byte, bool) {
	p := d.path(key)
	v, err := d.read(p, key)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			removeBad(p)
		}
		d.forget(key)
		return nil, false
	}
	d.touch(key)
	now := time.Now()
	_ = os.Chtimes(p, now, now) // recency across restarts; best effort
	return v, true
}

// errCorrupt marks an entry that is not what the store wrote.
var errCorrupt = errors.New("corrupt entry")

// read returns the value in the entry file at p, verified. It never
// follows a symlink and never blocks on a FIFO.
func (d *disk) read(p, key string) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%w: a symlink", errCorrupt)
		}
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file (%s)", errCorrupt, info.Mode().Type())
	}
	if info.Size() < int64(headerSize) || info.Size() > d.maxFile {
		return nil, fmt.Errorf("%w: %d bytes", errCorrupt, info.Size())
	}
	b := make([]byte, info.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	if string(b[:len(fileMagic)]) != fileMagic {
		return nil, fmt.Errorf("%w: bad magic", errCorrupt)
	}
	value := b[headerSize:]
	sum := checksum(key, value)
	if !bytes.Equal(sum[:], b[len(fileMagic):headerSize]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errCorrupt)
	}
	return value, nil
}

// put writes key's file atomically (a temporary file, then a rename), so
// a reader sees the old entry, none, or the whole new one; on any failure
// (a full disk) the temporary file is removed and nothing is indexed.
// Then least recently used entries are evicted to keep the budget.
func (d *disk) put(key string, value []byte) error {
	size := int64(headerSize + len(value))
	d.mu.Lock()
	if el, ok := d.index[key]; ok && el.Value.(*diskEntry).size == size {
		// The same key always names the same bytes.
		d.lru.MoveToFront(el)
		d.mu.Unlock()
		return nil
	}
	d.mu.Unlock()

	shard := filepath.Dir(d.path(key))
	if info, err := os.Lstat(shard); err == nil && !info.IsDir() {
		removeBad(shard) // a file or symlink in a shard directory's place
	}
	if err := os.MkdirAll(shard, 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp, err := os.CreateTemp(shard, ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: write %s: %w", key, err)
	}
	sum := checksum(key, value)
	_, werr := tmp.Write(append(append([]byte(fileMagic), sum[:]...), value...))
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: write %s: %w", key, err)
	}
	p := d.path(key)
	if info, err := os.Lstat(p); err == nil && !info.Mode().IsRegular() {
		removeBad(p) // rename cannot replace a directory
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("cache: write %s: %w", key, err)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if el, ok := d.index[key]; ok {
		e := el.Value.(*diskEntry)
		d.bytes += size - e.size
		e.size = size
		d.lru.MoveToFront(el)
	} else {
		d.index[key] = d.lru.PushFront(&diskEntry{key: key, size: size})
		d.bytes += size
	}
	d.evictLocked(key)
	return nil
}

// evictLocked removes least recently used entries until the tier is
// within its budget, sparing keep (the entry just written).
func (d *disk) evictLocked(keep string) {
	for d.bytes > d.budget {
		el := d.lru.Back()
		if el == nil {
			return
		}
		e := el.Value.(*diskEntry)
		if e.key == keep {
			if d.lru.Len() == 1 {
				return
			}
			d.lru.MoveToFront(el)
			continue
		}
		// Removed under the lock, so a concurrent put of the same key
		// cannot have its new file removed by an older decision.
		if err := os.Remove(d.path(e.key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			removeBad(d.path(e.key))
		}
		d.dropLocked(el)
	}
}

func (d *disk) dropLocked(el *list.Element) {
	e := el.Value.(*diskEntry)
	d.lru.Remove(el)
	delete(d.index, e.key)
	d.bytes -= e.size
}

// touch marks key most recently used.
func (d *disk) touch(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if el, ok := d.index[key]; ok {
		d.lru.MoveToFront(el)
	}
}

// forget drops key from the index (its file is gone or was removed).
func (d *disk) forget(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if el, ok := d.index[key]; ok {
		d.dropLocked(el)
	}
}

// usage reports the indexed bytes and entries.
func (d *disk) usage() (int64, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bytes, d.lru.Len()
}
