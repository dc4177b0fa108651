package runtime

import (
	"container/list"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// codeCache keeps wazero's compilation cache directory (compiled machine
// code, one file per module, written and read by wazero itself) within a
// byte budget, evicting the least recently used files.
//
// wazero offers no hook into its file cache, so uses are observed with
// inotify: every open of a file in the directory is a use, every rename
// into it an addition. Events are drained synchronously after each
// compile (compiles are the only time wazero touches the directory), so
// no goroutine is needed and the budget holds when a compile returns. A
// use also refreshes the file's modification time, so that the order
// survives a restart, where the index is rebuilt from the directory.
type codeCache struct {
	dir    string
	budget int64
	// ino is the inotify instance, non-blocking, read with raw reads (an
	// *os.File would park a read in the poller instead of returning
	// EAGAIN).
	ino int

	mu      sync.Mutex
	watches map[int32]string // watch descriptor -> directory
	index   map[string]*list.Element
	lru     *list.List // of *codeFile, most recently used first
	bytes   int64
	buf     [64 << 10]byte
}

type codeFile struct {
	path string
	size int64
}

// openCodeCache indexes dir (wazero's directory, with one subdirectory
// per wazero version), removes leftovers of interrupted writes, watches
// it and evicts down to budget.
func openCodeCache(dir string, budget int64) (*codeCache, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("runtime: compilation cache: inotify: %w", err)
	}
	c := &codeCache{dir: dir, budget: budget, ino: fd,
		watches: map[int32]string{}, index: map[string]*list.Element{}, lru: list.New()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.scanLocked(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	c.evictLocked("")
	return c, nil
}

// scanLocked (re)builds the index from the directory, oldest first.
func (c *codeCache) scanLocked() error {
	subdirs, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("runtime: compilation cache: %w", err)
	}
	type found struct {
		path  string
		size  int64
		mtime time.Time
	}
	var all []found
	for _, sd := range subdirs {
		if !sd.IsDir() {
			continue
		}
		sub := filepath.Join(c.dir, sd.Name())
		wd, err := unix.InotifyAddWatch(c.ino, sub,
			unix.IN_OPEN|unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_DELETE|unix.IN_ONLYDIR|unix.IN_DONT_FOLLOW)
		if err != nil {
			return fmt.Errorf("runtime: compilation cache: watch %s: %w", sub, err)
		}
		c.watches[int32(wd)] = sub
		files, err := os.ReadDir(sub)
		if err != nil {
			return fmt.Errorf("runtime: compilation cache: %w", err)
		}
		for _, f := range files {
			p := filepath.Join(sub, f.Name())
			info, err := f.Info()
			if err != nil {
				continue
			}
			if strings.HasSuffix(f.Name(), ".tmp") {
				// wazero's write in progress, or the leftover of one
				// that a crash interrupted.
				if time.Since(info.ModTime()) > 10*time.Minute {
					os.Remove(p)
				}
				continue
			}
			if !info.Mode().IsRegular() {
				// wazero would fail on it for good (a directory) or read
				// another file (a symlink): not an entry.
				removeAll(p)
				continue
			}
			all = append(all, found{p, info.Size(), info.ModTime()})
		}
	}
	slices.SortFunc(all, func(a, b found) int { return a.mtime.Compare(b.mtime) })
	c.index, c.lru, c.bytes = map[string]*list.Element{}, list.New(), 0
	for _, f := range all {
		c.index[f.path] = c.lru.PushFront(&codeFile{path: f.path, size: f.size})
		c.bytes += f.size
	}
	return nil
}

// sync applies the uses since the last call and evicts down to the
// budget. It returns the files that were opened but not written since
// then: the ones a failed compile may have read.
func (c *codeCache) sync() (read []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	written := map[string]bool{}
	var last string
	for {
		n, err := unix.Read(c.ino, c.buf[:])
		if err != nil || n < unix.SizeofInotifyEvent {
			break // EAGAIN: nothing more for now
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&c.buf[off]))
			name := c.buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				_ = c.scanLocked()
				continue
			}
			dir, ok := c.watches[ev.Wd]
			base := strings.TrimRight(string(name), "\x00")
			if !ok || base == "" || strings.HasSuffix(base, ".tmp") {
				continue
			}
			p := filepath.Join(dir, base)
			switch {
			case ev.Mask&unix.IN_DELETE != 0:
				c.forgetLocked(p)
			case ev.Mask&unix.IN_MOVED_TO != 0, ev.Mask&unix.IN_CLOSE_WRITE != 0:
				written[p] = true
				c.useLocked(p)
				last = p
			case ev.Mask&unix.IN_OPEN != 0:
				if !slices.Contains(read, p) {
					read = append(read, p)
				}
				c.useLocked(p)
				last = p
			}
		}
	}
	c.evictLocked(last)
	return slices.DeleteFunc(read, func(p string) bool { return written[p] })
}

// useLocked makes p the most recently used file, with its current size.
func (c *codeCache) useLocked(p string) {
	info, err := os.Lstat(p)
	if err != nil || !info.Mode().IsRegular() {
		c.forgetLocked(p)
		return
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // the order across restarts; best effort
	if el, ok := c.index[p]; ok {
		f := el.Value.(*codeFile)
		c.bytes += info.Size() - f.size
		f.size = info.Size()
		c.lru.MoveToFront(el)
		return
	}
	c.index[p] = c.lru.PushFront(&codeFile{path: p, size: info.Size()})
	c.bytes += info.Size()
}

func (c *codeCache) forgetLocked(p string) {
	if el, ok := c.index[p]; ok {
		c.bytes -= el.Value.(*codeFile).size
		c.lru.Remove(el)
		delete(c.index, p)
	}
}

// evictLocked removes least recently used files past the budget, sparing
// keep (the file just used).
func (c *codeCache) evictLocked(keep string) {
	for c.bytes > c.budget {
		el := c.lru.Back()
		if el == nil || el.Value.(*codeFile).path == keep && c.lru.Len() == 1 {
			return
		}
		f := el.Value.(*codeFile)
		if f.path == keep {
			c.lru.MoveToFront(el)
			continue
		}
		removeAll(f.path)
		c.forgetLocked(f.path)
	}
}

// remove deletes files (the ones a failed compile read).
func (c *codeCache) remove(paths []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range paths {
		removeAll(p)
		c.forgetLocked(p)
	}
}

// usage reports the indexed bytes.
func (c *codeCache) usage() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

func (c *codeCache) close() error { return unix.Close(c.ino) }

// removeAll removes p itself, whatever it is, never following a symlink.
func removeAll(p string) {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		os.RemoveAll(p)
	}
}
