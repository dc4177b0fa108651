// Package incremental keeps each client's incremental compile directory
// between its compiles: rustc's `-C incremental` data, written by an
// untrusted compile, so that the next compile of the same client's
// project reuses what did not change (an edit recompiles in a fraction of
// a cold compile's time; docs/performance.md, "edit → Run").
//
// A directory is named by an id the service derives from the client and
// its project (sandbox: the client, the request's session token, the
// harness and the crate), never by a path. The Store keeps one blob per
// id on disk, checksummed, bounded in bytes with the least recently used
// out first. The Runner, on the jail's side of the compiler (in process,
// or in the keeper under the privilege separation), writes a copy of the
// blob into the compile's work directory at WorkDir, reads the tree back
// after the compile, and stores it only after a clean exit: a failed
// compile leaves the stored copy as it was, and a crash, a signal or a
// limit on a warm directory discards it and compiles again from a cold
// one. A directory is only ever read by a later compile with the same id,
// so whatever a compile leaves there can affect only its own client
// (docs/security.md, "Incremental compile directories").
package incremental

import (
	"bytes"
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rocket-sandbox/rocket-sandbox/internal/check"
	"github.com/rocket-sandbox/rocket-sandbox/jail"
)

// WorkDir is where a compile's incremental directory is, relative to its
// work directory: under target/, which a project's own files may not use
// (package project), so it never meets them.
const WorkDir = "target/incremental"

// Config configures the Store: plain data, its defaults in
// DefaultConfig, checked by Validate.
type Config struct {
	// Dir holds the directories; "" is <state_dir>/incremental.
	Dir string `json:"dir"`
	// DiskBytes bounds all directories together (default 2 GiB; 64 MiB ..
	// 1 PiB): past it the least recently used are removed.
	DiskBytes int64 `json:"disk_bytes"`
	// MaxDirBytes bounds one directory (default 128 MiB; 1 MiB ..
	// disk_bytes): a compile that leaves a larger one keeps none, and its
	// client's next compile starts cold. Rocket's hello example leaves
	// about 14 MiB.
	MaxDirBytes int64 `json:"max_dir_bytes"`
	// Disabled keeps no directory: every compile starts cold.
	Disabled bool `json:"disabled"`
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{DiskBytes: 2 << 30, MaxDirBytes: 128 << 20}
}

// Validate refuses sizes the store cannot have, naming each by its key.
func (c Config) Validate() error {
	var l check.List
	check.Range(&l, "disk_bytes", c.DiskBytes, 64<<20, 1<<50)
	check.Range(&l, "max_dir_bytes", c.MaxDirBytes, 1<<20, 1<<50)
	if c.MaxDirBytes > c.DiskBytes {
		l.Add("max_dir_bytes", "%d is more than disk_bytes (%d)", c.MaxDirBytes, c.DiskBytes)
	}
	return l.Err()
}

func (c Config) withDefaults() Config {
	return check.WithDefaults(c, DefaultConfig())
}

// ValidID accepts what names a directory: 64 lowercase hex digits (a
// SHA-256), so an id can never name a path outside the store.
func ValidID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Store keeps directories by id. It is safe for concurrent use; two
// compiles of one id at once each store what they left, the later
// replacing the earlier whole.
type Store struct {
	dir      string
	budget   int64
	maxBytes int64

	mu    sync.Mutex
	lru   *list.List // of *entry, most recently used first
	index map[string]*list.Element
	used  int64
}

type entry struct {
	id   string
	size int64
}

// Open opens the store in cfg.Dir, creating it if missing; entries that
// cannot be one (stray names, unfinished writes) are removed, the rest
// indexed oldest first and shrunk to the budget.
func Open(cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("incremental: bad config: %w", err)
	}
	if cfg.Dir == "" {
		return nil, errors.New("incremental: no directory")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("incremental: %w", err)
	}
	s := &Store{dir: cfg.Dir, budget: cfg.DiskBytes, maxBytes: cfg.MaxDirBytes, lru: list.New(), index: map[string]*list.Element{}}
	entries, err := os.ReadDir(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("incremental: %w", err)
	}
	type found struct {
		id   string
		size int64
		mod  time.Time
	}
	var keep []found
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !ValidID(e.Name()) || !info.Mode().IsRegular() {
			_ = os.RemoveAll(filepath.Join(cfg.Dir, e.Name()))
			continue
		}
		keep = append(keep, found{e.Name(), info.Size(), info.ModTime()})
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].mod.Before(keep[j].mod) })
	for _, f := range keep {
		s.index[f.id] = s.lru.PushFront(&entry{f.id, f.size})
		s.used += f.size
	}
	s.mu.Lock()
	s.evictLocked()
	s.mu.Unlock()
	return s, nil
}

// Usage is the bytes and directories stored.
func (s *Store) Usage() (int64, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, s.lru.Len()
}

func (s *Store) path(id string) string { return filepath.Join(s.dir, id) }

// Load returns the files of id's directory by their paths in the work
// directory (under WorkDir), or false when there is none. A blob that
// fails its checksum or its format is removed and is not one.
func (s *Store) Load(id string) (map[string][]byte, bool) {
	if !ValidID(id) {
		return nil, false
	}
	s.mu.Lock()
	el, ok := s.index[id]
	if ok {
		s.lru.MoveToFront(el)
	}
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	b, err := os.ReadFile(s.path(id))
	if err != nil {
		s.Drop(id)
		return nil, false
	}
	files, err := decode(b, s.maxBytes)
	if err != nil {
		s.Drop(id)
		return nil, false
	}
	return files, true
}

// Save stores files (paths under WorkDir) as id's directory, replacing
// what was there. A tree over max_dir_bytes, or one with a path outside
// WorkDir, is not stored, and id's directory is dropped.
func (s *Store) Save(id string, files map[string][]byte) error {
	if !ValidID(id) {
		return fmt.Errorf("incremental: bad id %q", id)
	}
	b, err := encode(files, s.maxBytes)
	if err != nil {
		s.Drop(id)
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".tmp-")
	if err != nil {
		return fmt.Errorf("incremental: %w", err)
	}
	_, werr := tmp.Write(b)
	if err := tmp.Close(); werr == nil {
		werr = err
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), s.path(id))
	}
	if werr != nil {
		_ = os.Remove(tmp.Name())
		s.Drop(id)
		return fmt.Errorf("incremental: %w", werr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.index[id]; ok {
		s.used -= el.Value.(*entry).size
		s.lru.Remove(el)
	}
	s.index[id] = s.lru.PushFront(&entry{id, int64(len(b))})
	s.used += int64(len(b))
	s.evictLocked()
	return nil
}

// Drop removes id's directory.
func (s *Store) Drop(id string) {
	if !ValidID(id) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.index[id]; ok {
		s.used -= el.Value.(*entry).size
		s.lru.Remove(el)
		delete(s.index, id)
	}
	if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		_ = os.RemoveAll(s.path(id))
	}
}

// evictLocked removes the least recently used directories until the
// store is within its budget.
func (s *Store) evictLocked() {
	for s.used > s.budget && s.lru.Len() > 0 {
		el := s.lru.Back()
		e := el.Value.(*entry)
		s.lru.Remove(el)
		delete(s.index, e.id)
		s.used -= e.size
		_ = os.Remove(s.path(e.id))
	}
}

// The blob: magic, then per file (by path order) its path's length and
// path, its contents' length and contents (uvarints), then the SHA-256
// of everything before it.
const magic = "rocket-sandbox incremental v1\n"

func encode(files map[string][]byte, maxBytes int64) ([]byte, error) {
	paths := make([]string, 0, len(files))
	var total int64
	for p, data := range files {
		if !underWorkDir(p) {
			return nil, fmt.Errorf("incremental: path %q is not under %s", p, WorkDir)
		}
		paths = append(paths, p)
		total += int64(len(p) + len(data))
	}
	if total > maxBytes {
		return nil, fmt.Errorf("incremental: the directory is %d bytes, over max_dir_bytes (%d)", total, maxBytes)
	}
	sort.Strings(paths)
	b := make([]byte, 0, len(magic)+int(total)+len(paths)*8+sha256.Size)
	b = append(b, magic...)
	for _, p := range paths {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
		b = binary.AppendUvarint(b, uint64(len(files[p])))
		b = append(b, files[p]...)
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...), nil
}

func decode(b []byte, maxBytes int64) (map[string][]byte, error) {
	bad := errors.New("incremental: damaged directory")
	if len(b) < len(magic)+sha256.Size || int64(len(b)) > 2*maxBytes+(1<<20) || !bytes.HasPrefix(b, []byte(magic)) {
		return nil, bad
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, bad
	}
	body = body[len(magic):]
	files := map[string][]byte{}
	next := func() ([]byte, bool) {
		n, k := binary.Uvarint(body)
		if k <= 0 || n > uint64(len(body)-k) {
			return nil, false
		}
		v := body[k : k+int(n)]
		body = body[k+int(n):]
		return v, true
	}
	for len(body) > 0 {
		p, ok1 := next()
		data, ok2 := next()
		if !ok1 || !ok2 || !underWorkDir(string(p)) {
			return nil, bad
		}
		if _, dup := files[string(p)]; dup {
			return nil, bad
		}
		files[string(p)] = data
	}
	return files, nil
}

// underWorkDir accepts a clean work-directory path below WorkDir.
func underWorkDir(p string) bool {
	return strings.HasPrefix(p, WorkDir+"/") && jail.CheckName(p) == nil
}
