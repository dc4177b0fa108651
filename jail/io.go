package jail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// capture reads one output stream to EOF, keeping at most limit bytes.
// Past the limit it keeps reading (so the writer never blocks on a full
// pipe) but drops the data, sets truncated and calls onOverflow once.
type capture struct {
	limit      int64
	onOverflow func()

	buf       bytes.Buffer
	truncated bool
	done      chan struct{}
}

func startCapture(r *os.File, limit int64, onOverflow func()) *capture {
	c := &capture{limit: limit, onOverflow: onOverflow, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer r.Close()
		chunk := make([]byte, 32<<10)
		for {
			n, err := r.Read(chunk)
			if n > 0 {
				room := c.limit - int64(c.buf.Len())
				if int64(n) > room {
					c.buf.Write(chunk[:max(room, 0)])
					if !c.truncated {
						c.truncated = true
						if c.onOverflow != nil {
							c.onOverflow()
						}
					}
				} else {
					c.buf.Write(chunk[:n])
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return c
}

// wait blocks until the stream hit EOF and returns what was kept.
func (c *capture) wait() ([]byte, bool) {
	<-c.done
	if c.buf.Len() == 0 {
		return nil, c.truncated
	}
	return c.buf.Bytes(), c.truncated
}

// CheckName accepts the file names of Command.Files and Command.Collect:
// clean, relative paths that stay inside the work directory.
func CheckName(name string) error {
	if name == "" || !filepath.IsLocal(name) || filepath.Clean(name) != name {
		return fmt.Errorf("jail: bad work-dir file name %q: want a clean relative path inside the work directory", name)
	}
	return nil
}

// writeFiles puts a command's input files into the work directory open at
// dirfd (which nothing untrusted has touched yet), owned by uid:gid so the
// job may replace them. uid < 0 leaves ownership alone.
func writeFiles(dirfd int, files map[string][]byte, uid, gid int) error {
	for name, data := range files {
		if err := CheckName(name); err != nil {
			return err
		}
		if parent := filepath.Dir(name); parent != "." {
			if err := mkdirOwned(dirfd, parent, uid, gid); err != nil {
				return err
			}
		}
		fd, err := unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return fmt.Errorf("jail: write input %q: %w", name, err)
		}
		f := os.NewFile(uintptr(fd), name)
		_, werr := f.Write(data)
		if uid >= 0 && werr == nil {
			werr = f.Chown(uid, gid)
		}
		if err := f.Close(); werr == nil {
			werr = err
		}
		if werr != nil {
			return fmt.Errorf("jail: write input %q: %w", name, werr)
		}
	}
	return nil
}

// mkdirOwned creates rel (below dirfd) and any missing parents, chowning
// the new ones.
func mkdirOwned(dirfd int, rel string, uid, gid int) error {
	cur := ""
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		err := unix.Mkdirat(dirfd, cur, 0o755)
		if errors.Is(err, unix.EEXIST) {
			continue
		}
		if err == nil && uid >= 0 {
			err = unix.Fchownat(dirfd, cur, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
		}
		if err != nil {
			return fmt.Errorf("jail: create input directory %q: %w", rel, err)
		}
	}
	return nil
}

// collectFiles reads the named files back from the work directory open at
// dirfd, after the job is gone. The job controlled the directory's
// contents, so every name is resolved with openat2 beneath dirfd, refusing
// symlinks at any component and crossing no mount; only regular files of
// at most limit bytes are read. Anything else is simply absent from the
// result, like a missing file.
func collectFiles(dirfd int, names []string, limit int64) (map[string][]byte, error) {
	if len(names) == 0 {
		return nil, nil
	}
	out := make(map[string][]byte, len(names))
	for _, name := range names {
		if err := CheckName(name); err != nil {
			return nil, err
		}
		data, ok, err := collectOne(dirfd, name, limit)
		if err != nil {
			return nil, err
		}
		if ok {
			out[name] = data
		}
	}
	return out, nil
}

// collect reads back what cmd names: its Collect files, then its
// CollectTrees, within total bytes for the trees.
func collect(dirfd int, cmd Command, limit, total int64) (map[string][]byte, error) {
	files, err := collectFiles(dirfd, cmd.Collect, limit)
	if err != nil || len(cmd.CollectTrees) == 0 {
		return files, err
	}
	if files == nil {
		files = map[string][]byte{}
	}
	return files, collectTrees(dirfd, cmd.CollectTrees, limit, total, files)
}

// maxTreeFiles bounds the files collectTrees reads back (the work
// directory's inode count bounds them too).
const maxTreeFiles = 1 << 14

// collectTrees adds every regular file below each of dirs (below dirfd)
// to out, by its path: each at most limit bytes, at most total bytes
// and maxTreeFiles files in all. Every directory is opened as
// collectOne opens a file (beneath dirfd, no symlinks, no other mount),
// so what the job left there cannot lead the reader elsewhere. What is
// not a regular file or directory, or is over a bound, is left out.
func collectTrees(dirfd int, dirs []string, limit, total int64, out map[string][]byte) error {
	files := 0
	var walk func(dir string) error
	walk = func(dir string) error {
		fd, err := unix.Openat2(dirfd, dir, &unix.OpenHow{
			Flags:   unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
		})
		if err != nil {
			return nil // missing or not a directory: absent
		}
		d := os.NewFile(uintptr(fd), dir)
		entries, err := d.ReadDir(-1)
		d.Close()
		if err != nil {
			return fmt.Errorf("jail: read output directory %q: %w", dir, err)
		}
		for _, e := range entries {
			name := dir + "/" + e.Name()
			if CheckName(name) != nil {
				continue
			}
			switch {
			case e.IsDir():
				if err := walk(name); err != nil {
					return err
				}
			case e.Type().IsRegular():
				if files >= maxTreeFiles {
					continue
				}
				data, ok, err := collectOne(dirfd, name, min(limit, total))
				if err != nil {
					return err
				}
				if ok {
					out[name] = data
					total -= int64(len(data))
					files++
				}
			}
		}
		return nil
	}
	for _, dir := range dirs {
		if err := CheckName(dir); err != nil {
			return err
		}
		if err := walk(dir); err != nil {
			return err
		}
	}
	return nil
}

func collectOne(root int, name string, limit int64) ([]byte, bool, error) {
	fd, err := unix.Openat2(root, name, &unix.OpenHow{
		// O_NONBLOCK: a FIFO planted under the name must not hang us.
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	})
	if err != nil {
		// Missing, a symlink (ELOOP), or otherwise unreachable: absent.
		return nil, false, nil
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("jail: stat output %q: %w", name, err)
	}
	if !st.Mode().IsRegular() || st.Size() > limit {
		return nil, false, nil
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("jail: read output %q: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, false, nil
	}
	return data, true, nil
}
