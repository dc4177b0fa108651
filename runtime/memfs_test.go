package runtime

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

func TestMemFSIsReadOnlyBelowAScratchLayer(t *testing.T) {
	m := newMemFS(&Files{Root: "/work", Files: map[string][]byte{"static/a.txt": []byte("sent"), "upload/README": nil}, ScratchBytes: 8})

	f, errno := m.OpenFile("static/a.txt", experimentalsys.O_RDONLY, 0)
	require.Zero(t, errno)
	buf := make([]byte, 16)
	n, errno := f.Read(buf)
	require.Zero(t, errno)
	assert.Equal(t, "sent", string(buf[:n]))
	st, _ := f.Stat()
	assert.Equal(t, fixedTime, st.Mtim, "fixed times")

	_, errno = m.OpenFile("static/a.txt", experimentalsys.O_WRONLY|experimentalsys.O_TRUNC, 0)
	assert.Equal(t, experimentalsys.EROFS, errno, "the project's files cannot change")
	assert.Equal(t, experimentalsys.EROFS, m.Unlink("static/a.txt"))

	w, errno := m.OpenFile("upload/new", experimentalsys.O_WRONLY|experimentalsys.O_CREAT, 0o644)
	require.Zero(t, errno, "new files go to the scratch layer")
	_, errno = w.Write([]byte("12345678"))
	require.Zero(t, errno)
	_, errno = w.Write([]byte("9"))
	assert.Equal(t, errScratchFull, errno, "past the scratch cap")
	require.Zero(t, m.Unlink("upload/new"))
	w2, _ := m.OpenFile("other", experimentalsys.O_WRONLY|experimentalsys.O_CREAT, 0o644)
	_, errno = w2.Write([]byte("12345678"))
	assert.Zero(t, errno, "a removed file's bytes are free again")

	d, errno := m.OpenFile(".", experimentalsys.O_RDONLY, 0)
	require.Zero(t, errno)
	ents, errno := d.Readdir(-1)
	require.Zero(t, errno)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"other", "static", "tmp", "upload"}, names, "in name order")

	_, errno = m.Stat("missing/x")
	assert.Equal(t, experimentalsys.ENOENT, errno)
}

func TestMemFSGivesEachRunItsOwnCopyOfASQLiteDatabase(t *testing.T) {
	db := []byte(sqliteHeader + "pages")
	files := &Files{Root: "/work", Files: map[string][]byte{"db/app.sqlite": db, "db/notes.txt": []byte("SQLite format 2")}, ScratchBytes: 4}
	m := newMemFS(files)

	w, errno := m.OpenFile("db/app.sqlite", experimentalsys.O_RDWR, 0)
	require.Zero(t, errno, "a database the request brought opens read-write")
	_, errno = w.Pwrite([]byte("PAGES"), int64(len(sqliteHeader)))
	require.Zero(t, errno)
	_, errno = w.Pwrite([]byte("more"), int64(len(db)))
	require.Zero(t, errno, "its growth fits the scratch cap")
	_, errno = w.Pwrite([]byte("x"), int64(len(db))+4)
	assert.Equal(t, errScratchFull, errno, "growth past the cap fails")
	j, errno := m.OpenFile("db/app.sqlite-journal", experimentalsys.O_RDWR|experimentalsys.O_CREAT, 0o644)
	require.Zero(t, errno, "SQLite's journal goes beside it")
	require.Zero(t, j.Close())
	require.Zero(t, m.Mkdir("db/app.sqlite.lock", 0o777), "and so does the dot-file lock")
	require.Zero(t, m.Rmdir("db/app.sqlite.lock"))

	_, errno = m.OpenFile("db/notes.txt", experimentalsys.O_RDWR, 0)
	assert.Equal(t, experimentalsys.EROFS, errno, "other project files stay read-only")

	assert.Equal(t, string(db), string(files.Files["db/app.sqlite"]), "the request's bytes are unchanged")
	r, errno := newMemFS(files).OpenFile("db/app.sqlite", experimentalsys.O_RDONLY, 0)
	require.Zero(t, errno)
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	assert.Equal(t, string(db), string(buf[:n]), "the next run starts from the request's database again")
}
