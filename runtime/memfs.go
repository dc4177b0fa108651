package runtime

import (
	"bytes"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// Files is a project's file tree as a guest sees it: the files, read-only
// (but for SQLite databases, which the run changes in a copy of its own),
// from memory, at Root and at "/" (the guest's working directory: WASI
// has no working directory, and wasi-libc resolves relative paths against
// "/"), with a per-run scratch layer for what the guest writes.
type Files struct {
	// Root is the guest path the project is also mounted at (the virtual
	// root its code was compiled against: CARGO_MANIFEST_DIR).
	Root string
	// Files maps each file's slash-separated path below the root to its
	// content. Their directories exist; nothing else does.
	Files map[string][]byte
	// ScratchBytes caps what the guest may write in a run, in new files
	// (and new directories, which count as nothing): a write past it
	// fails with EIO (WASI has ENOSPC, but wazero's errno set does not).
	// The project's own files cannot be changed.
	ScratchBytes int64
}

// errScratchFull is a write past Files.ScratchBytes.
const errScratchFull = experimentalsys.EIO

// fixedTime is every file's timestamp: the frozen wall clock, so listing
// and stat read the same on every run.
var fixedTime = func() int64 {
	sec, nsec := frozenWalltime()
	return sec*1e9 + int64(nsec)
}()

// memNode is a file or a directory of a memFS.
type memNode struct {
	ino      sys.Inode
	dir      map[string]*memNode // nil for a file
	data     []byte
	readOnly bool // the project's own (files and directories)
}

// memFS is one run's instance of a Files tree: experimentalsys.FS over
// memory. The project's nodes are read-only; what the guest creates is
// writable, and its bytes count against the scratch cap. It is used from
// the guest's goroutine only.
type memFS struct {
	experimentalsys.UnimplementedFS
	root     *memNode
	nextIno  sys.Inode
	scratch  int64 // bytes held by the guest's own files
	capBytes int64
}

// sqliteHeader starts every SQLite 3 database file (its file format).
const sqliteHeader = "SQLite format 3\x00"

// IsSQLiteDatabase says whether a project file is a SQLite database: the
// one kind of project file a run may change (in its own copy), since a
// program opens its database read-write even to read it.
func IsSQLiteDatabase(data []byte) bool {
	return bytes.HasPrefix(data, []byte(sqliteHeader))
}

// newMemFS builds a run's tree from f, with inode numbers in path order.
func newMemFS(f *Files) *memFS {
	m := &memFS{capBytes: f.ScratchBytes}
	m.root = m.newNode(true, true)
	paths := make([]string, 0, len(f.Files))
	for p := range f.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		parts := strings.Split(p, "/")
		dir := m.root
		for _, name := range parts[:len(parts)-1] {
			next, ok := dir.dir[name]
			if !ok {
				next = m.newNode(true, true)
				dir.dir[name] = next
			}
			dir = next
		}
		data := f.Files[p]
		file := m.newNode(false, !IsSQLiteDatabase(data))
		file.data = data // never written: the node is read-only
		if !file.readOnly {
			// A database the request brought: the run works on a copy in
			// the scratch layer, and the next run starts from the same
			// bytes again. Its own size is not charged; what it grows by
			// is (the cap is raised by, and the count starts at, its size).
			file.data = bytes.Clone(data)
			m.capBytes += int64(len(data))
			m.scratch += int64(len(data))
		}
		dir.dir[parts[len(parts)-1]] = file
	}
	// std::env::temp_dir() is "/tmp" on wasip1, where Rocket's TempFile
	// (through the tempfile crate) creates an upload's file: the tree has
	// one, empty and the guest's own, unless the project brings its own.
	if _, ok := m.root.dir["tmp"]; !ok {
		m.root.dir["tmp"] = m.newNode(true, false)
	}
	return m
}

func (m *memFS) newNode(isDir, readOnly bool) *memNode {
	m.nextIno++
	n := &memNode{ino: m.nextIno, readOnly: readOnly}
	if isDir {
		n.dir = map[string]*memNode{}
	}
	return n
}

// split cleans a path wazero hands over (relative to the mount; "." is
// the mount itself) into names.
func split(p string) []string {
	p = strings.Trim(path.Clean("/"+p), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// lookup finds the node at p, and its parent and base name.
func (m *memFS) lookup(p string) (node, parent *memNode, name string, errno experimentalsys.Errno) {
	names := split(p)
	node = m.root
	for i, n := range names {
		if node.dir == nil {
			return nil, nil, "", experimentalsys.ENOTDIR
		}
		parent, name = node, n
		next, ok := node.dir[n]
		if !ok {
			if i == len(names)-1 {
				return nil, parent, name, experimentalsys.ENOENT
			}
			return nil, nil, "", experimentalsys.ENOENT
		}
		node = next
	}
	return node, parent, name, 0
}

func (n *memNode) stat() sys.Stat_t {
	st := sys.Stat_t{Dev: 1, Ino: n.ino, Nlink: 1, Atim: fixedTime, Mtim: fixedTime, Ctim: fixedTime}
	switch {
	case n.dir != nil:
		st.Mode = fs.ModeDir | 0o555
		if !n.readOnly {
			st.Mode |= 0o200
		}
	default:
		st.Mode = 0o444
		if !n.readOnly {
			st.Mode |= 0o200
		}
		st.Size = int64(len(n.data))
	}
	return st
}

// OpenFile implements experimentalsys.FS.
func (m *memFS) OpenFile(p string, flag experimentalsys.Oflag, _ fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	write := flag&(experimentalsys.O_WRONLY|experimentalsys.O_RDWR) != 0
	node, parent, name, errno := m.lookup(p)
	switch {
	case errno == experimentalsys.ENOENT && parent != nil && flag&experimentalsys.O_CREAT != 0:
		node = m.newNode(false, false)
		parent.dir[name] = node
	case errno != 0:
		return nil, errno
	case flag&experimentalsys.O_CREAT != 0 && flag&experimentalsys.O_EXCL != 0:
		return nil, experimentalsys.EEXIST
	}
	if node.dir != nil {
		if write {
			return nil, experimentalsys.EISDIR
		}
		return &memDir{fs: m, node: node}, 0
	}
	if flag&experimentalsys.O_DIRECTORY != 0 {
		return nil, experimentalsys.ENOTDIR
	}
	if (write || flag&experimentalsys.O_TRUNC != 0) && node.readOnly {
		return nil, experimentalsys.EROFS
	}
	f := &memFile{fs: m, node: node, write: write, read: flag&experimentalsys.O_WRONLY == 0,
		append: flag&experimentalsys.O_APPEND != 0}
	if flag&experimentalsys.O_TRUNC != 0 {
		if errno := f.Truncate(0); errno != 0 {
			return nil, errno
		}
	}
	return f, 0
}

// Stat implements experimentalsys.FS; there are no links, so Lstat is Stat.
func (m *memFS) Stat(p string) (sys.Stat_t, experimentalsys.Errno) {
	node, _, _, errno := m.lookup(p)
	if errno != 0 {
		return sys.Stat_t{}, errno
	}
	return node.stat(), 0
}

// Lstat implements experimentalsys.FS.
func (m *memFS) Lstat(p string) (sys.Stat_t, experimentalsys.Errno) { return m.Stat(p) }

// Mkdir implements experimentalsys.FS: a new directory is the guest's.
func (m *memFS) Mkdir(p string, _ fs.FileMode) experimentalsys.Errno {
	node, parent, name, errno := m.lookup(p)
	switch {
	case errno == 0 && node != nil:
		return experimentalsys.EEXIST
	case errno != experimentalsys.ENOENT || parent == nil:
		return errno
	}
	parent.dir[name] = m.newNode(true, false)
	return 0
}

// Unlink implements experimentalsys.FS: only the guest's own files go.
func (m *memFS) Unlink(p string) experimentalsys.Errno {
	node, parent, name, errno := m.lookup(p)
	switch {
	case errno != 0:
		return errno
	case node.dir != nil:
		return experimentalsys.EISDIR
	case node.readOnly:
		return experimentalsys.EROFS
	}
	m.scratch -= int64(len(node.data))
	delete(parent.dir, name)
	return 0
}

// Rmdir implements experimentalsys.FS: only the guest's own, empty
// directories go.
func (m *memFS) Rmdir(p string) experimentalsys.Errno {
	node, parent, name, errno := m.lookup(p)
	switch {
	case errno != 0:
		return errno
	case node.dir == nil:
		return experimentalsys.ENOTDIR
	case node.readOnly || parent == nil:
		return experimentalsys.EROFS
	case len(node.dir) > 0:
		return experimentalsys.ENOTEMPTY
	}
	delete(parent.dir, name)
	return 0
}

// Rename implements experimentalsys.FS for the guest's own files and
// directories, onto a free name or another of its own files.
func (m *memFS) Rename(from, to string) experimentalsys.Errno {
	node, parent, name, errno := m.lookup(from)
	if errno != 0 {
		return errno
	}
	if node.readOnly {
		return experimentalsys.EROFS
	}
	dst, dparent, dname, errno := m.lookup(to)
	switch {
	case errno == 0 && dst.readOnly:
		return experimentalsys.EROFS
	case errno == 0 && dst.dir != nil:
		return experimentalsys.EISDIR
	case errno == 0:
		m.scratch -= int64(len(dst.data))
	case errno != experimentalsys.ENOENT || dparent == nil:
		return errno
	}
	delete(parent.dir, name)
	dparent.dir[dname] = node
	return 0
}

// Chmod and Utimens are accepted and change nothing: modes and times are
// fixed, for determinism.
func (m *memFS) Chmod(p string, _ fs.FileMode) experimentalsys.Errno {
	_, _, _, errno := m.lookup(p)
	return errno
}

// Utimens implements experimentalsys.FS; see Chmod.
func (m *memFS) Utimens(p string, _, _ int64) experimentalsys.Errno {
	_, _, _, errno := m.lookup(p)
	return errno
}

// Link, Symlink and Readlink: the tree has no links.
func (m *memFS) Link(string, string) experimentalsys.Errno    { return experimentalsys.EPERM }
func (m *memFS) Symlink(string, string) experimentalsys.Errno { return experimentalsys.EPERM }
func (m *memFS) Readlink(p string) (string, experimentalsys.Errno) {
	if _, _, _, errno := m.lookup(p); errno != 0 {
		return "", errno
	}
	return "", experimentalsys.EINVAL
}

// fileOffset is int64 by another name: wazero's File.Seek returns an
// Errno, not io.Seeker's error, which go vet's stdmethods check would
// otherwise report (it only checks a Seek whose offset reads "int64").
type fileOffset = int64

// memFile is an open regular file.
type memFile struct {
	experimentalsys.UnimplementedFile
	fs                  *memFS
	node                *memNode
	off                 int64
	read, write, append bool
}

func (f *memFile) Dev() (uint64, experimentalsys.Errno)       { return 1, 0 }
func (f *memFile) Ino() (sys.Inode, experimentalsys.Errno)    { return f.node.ino, 0 }
func (f *memFile) IsDir() (bool, experimentalsys.Errno)       { return false, 0 }
func (f *memFile) IsAppend() bool                             { return f.append }
func (f *memFile) Stat() (sys.Stat_t, experimentalsys.Errno)  { return f.node.stat(), 0 }
func (f *memFile) Sync() experimentalsys.Errno                { return 0 }
func (f *memFile) Datasync() experimentalsys.Errno            { return 0 }
func (f *memFile) Utimens(int64, int64) experimentalsys.Errno { return 0 }
func (f *memFile) Close() experimentalsys.Errno               { return 0 }

func (f *memFile) SetAppend(enable bool) experimentalsys.Errno {
	f.append = enable
	return 0
}

func (f *memFile) Read(buf []byte) (int, experimentalsys.Errno) {
	n, errno := f.Pread(buf, f.off)
	f.off += int64(n)
	return n, errno
}

func (f *memFile) Pread(buf []byte, off int64) (int, experimentalsys.Errno) {
	if !f.read {
		return 0, experimentalsys.EBADF
	}
	if off < 0 {
		return 0, experimentalsys.EINVAL
	}
	if off >= int64(len(f.node.data)) {
		return 0, 0
	}
	return copy(buf, f.node.data[off:]), 0
}

func (f *memFile) Seek(offset fileOffset, whence int) (int64, experimentalsys.Errno) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += f.off
	case io.SeekEnd:
		offset += int64(len(f.node.data))
	default:
		return 0, experimentalsys.EINVAL
	}
	if offset < 0 {
		return 0, experimentalsys.EINVAL
	}
	f.off = offset
	return offset, 0
}

func (f *memFile) Write(buf []byte) (int, experimentalsys.Errno) {
	if f.append {
		f.off = int64(len(f.node.data))
	}
	n, errno := f.Pwrite(buf, f.off)
	f.off += int64(n)
	return n, errno
}

func (f *memFile) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	if !f.write {
		return 0, experimentalsys.EBADF
	}
	if off < 0 {
		return 0, experimentalsys.EINVAL
	}
	if end := off + int64(len(buf)); end > int64(len(f.node.data)) {
		if errno := f.resize(end); errno != 0 {
			return 0, errno
		}
	}
	return copy(f.node.data[off:], buf), 0
}

func (f *memFile) Truncate(size int64) experimentalsys.Errno {
	if !f.write || f.node.readOnly {
		return experimentalsys.EBADF
	}
	if size < 0 {
		return experimentalsys.EINVAL
	}
	return f.resize(size)
}

// resize grows or shrinks the file, within the scratch cap.
func (f *memFile) resize(size int64) experimentalsys.Errno {
	grow := size - int64(len(f.node.data))
	if f.fs.scratch+grow > f.fs.capBytes {
		return errScratchFull
	}
	f.fs.scratch += grow
	if grow < 0 {
		f.node.data = f.node.data[:size]
		return 0
	}
	f.node.data = append(f.node.data, make([]byte, grow)...)
	return 0
}

// memDir is an open directory.
type memDir struct {
	experimentalsys.DirFile
	fs      *memFS
	node    *memNode
	entries []experimentalsys.Dirent // the listing, taken at the first Readdir
	pos     int
}

func (d *memDir) Dev() (uint64, experimentalsys.Errno)      { return 1, 0 }
func (d *memDir) Ino() (sys.Inode, experimentalsys.Errno)   { return d.node.ino, 0 }
func (d *memDir) Stat() (sys.Stat_t, experimentalsys.Errno) { return d.node.stat(), 0 }
func (d *memDir) Close() experimentalsys.Errno              { return 0 }

// Seek to 0 restarts the listing.
func (d *memDir) Seek(offset fileOffset, whence int) (int64, experimentalsys.Errno) {
	if offset != 0 || whence != io.SeekStart {
		return 0, experimentalsys.EINVAL
	}
	d.entries, d.pos = nil, 0
	return 0, 0
}

// Readdir lists the directory in name order (determinism).
func (d *memDir) Readdir(n int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	if d.entries == nil {
		names := make([]string, 0, len(d.node.dir))
		for name := range d.node.dir {
			names = append(names, name)
		}
		sort.Strings(names)
		d.entries = make([]experimentalsys.Dirent, 0, len(names))
		for _, name := range names {
			c := d.node.dir[name]
			var typ fs.FileMode
			if c.dir != nil {
				typ = fs.ModeDir
			}
			d.entries = append(d.entries, experimentalsys.Dirent{Ino: c.ino, Name: name, Type: typ})
		}
	}
	rest := d.entries[d.pos:]
	if n > 0 && n < len(rest) {
		rest = rest[:n]
	}
	d.pos += len(rest)
	return rest, 0
}

func (d *memDir) Sync() experimentalsys.Errno                { return 0 }
func (d *memDir) Datasync() experimentalsys.Errno            { return 0 }
func (d *memDir) Utimens(int64, int64) experimentalsys.Errno { return 0 }
