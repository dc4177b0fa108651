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
