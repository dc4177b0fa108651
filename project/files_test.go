package project

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Contents are bytes: any file but the ones the service reads as text
// may hold anything, and the byte limit counts the bytes themselves.
func TestCheckTakesBytesButWhereTheServiceReadsText(t *testing.T) {
	lim := Limits{MaxFiles: 8, MaxBytes: 64}
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10}
	assert.NoError(t, Check(map[string][]byte{
		"src/main.rs":      []byte("fn main() {}\n"),
		"static/icon.jpg":  jpeg,
		"db/app.sqlite":    []byte("SQLite format 3\x00\xff\xfe"),
		"src/not_utf8.rs":  {0xc3, 0x28}, // rustc's to refuse, if the crate reads it
		"templates/x.tera": {},
	}, lim, false))

	for _, tc := range []struct {
		files    map[string][]byte
		withStub bool
		path     string
	}{
		{map[string][]byte{"src/main.rs": {'f', 'n', 0xff}}, false, "src/main.rs"},
		{map[string][]byte{"src/lib.rs": {0xc3, 0x28}}, false, "src/lib.rs"},
		{map[string][]byte{"Cargo.toml": {0xfe, 0xff}, "static/x": {0xff}}, true, "Cargo.toml"},
	} {
		err := Check(tc.files, lim, tc.withStub)
		var fe *FileError
		require.True(t, errors.As(err, &fe), "%v", err)
		assert.Equal(t, tc.path, fe.Path)
		assert.Contains(t, fe.Message, "UTF-8")
		assert.False(t, fe.TooLarge)
	}

	// 64 bytes of binary are within 64; one more byte is not (as the
	// bytes, not their base64, which would be 88).
	at := map[string][]byte{"src/main.rs": []byte("fn main(){}\n"), "static/x.bin": make([]byte, 64-12)}
	assert.NoError(t, Check(at, lim, false))
	at["static/x.bin"] = append(at["static/x.bin"], 0xff)
	var fe *FileError
	require.True(t, errors.As(Check(at, lim, false), &fe))
	assert.True(t, fe.TooLarge)
	assert.Equal(t, "", fe.Path, "the set's limit names the set")
}
