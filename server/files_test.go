package server

import (
	"encoding/base64"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file's content is a string (its UTF-8 text) or {"content": base64,
// "encoding": "base64"} (its bytes); either way the service gets the
// bytes, and the same bytes sent either way are the same file.
func TestExecuteFilesTextAndBase64AreTheirBytes(t *testing.T) {
	icon := []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}
	db := append([]byte("SQLite format 3\x00"), 0x10, 0x00, 0x01, 0x01)
	svc := &fakeService{resp: okResponse()}
	app, _ := testApp(t, svc, Config{})
	body := `{"harness":"hello","files":{
		"src/main.rs": "fn main() {}\n",
		"static/icon.jpg": {"content": "` + base64.StdEncoding.EncodeToString(icon) + `", "encoding": "base64"},
		"db/app.sqlite": {"encoding": "base64", "content": "` + base64.StdEncoding.EncodeToString(db) + `"},
		"static/escaped.bin": {"content": "\/w==", "encoding": "base64"},
		"static/empty.bin": {"content": "", "encoding": "base64"},
		"static/hello.txt": {"content": "aMOpbGxvCg==", "encoding": "base64"},
		"static/hi.txt": "h\u00e9llo\n"
	}}`
	r := postJSON(t, app, body)
	require.Equal(t, fiber.StatusOK, r.code, "%s", r.body)
	files := svc.lastCall(t).Files
	assert.Equal(t, map[string][]byte{
		"src/main.rs":        []byte("fn main() {}\n"),
		"static/icon.jpg":    icon,
		"db/app.sqlite":      db,
		"static/escaped.bin": {0xff},
		"static/empty.bin":   {},
		"static/hello.txt":   []byte("héllo\n"),
		"static/hi.txt":      []byte("héllo\n"),
	}, files)
	assert.Equal(t, files["static/hello.txt"], files["static/hi.txt"], "text sent as base64 is the same bytes as text sent as a string")
}

func TestExecuteFilesBadBinaryForm(t *testing.T) {
	const field = `files["static/x.jpg"]`
	cases := []struct {
		name, value, message string
	}{
		{"a number", `5`, "must be a string (UTF-8 text) or"},
		{"an array", `["/9g="]`, "not an array"},
		{"null", `null`, "not null"},
		{"no encoding", `{"content": "/9g="}`, "encoding is required"},
		{"no content", `{"encoding": "base64"}`, "content is required"},
		{"an unknown key", `{"content": "/9g=", "encoding": "base64", "mode": "0644"}`, `unknown field "mode"`},
		{"another encoding", `{"content": "ffd8", "encoding": "hex"}`, `encoding must be "base64"`},
		{"base64url", `{"content": "/9g=", "encoding": "base64url"}`, `encoding must be "base64"`},
		{"the encoding's case", `{"content": "/9g=", "encoding": "BASE64"}`, `encoding must be "base64"`},
		{"a number encoding", `{"content": "/9g=", "encoding": 64}`, `encoding must be "base64"`},
		{"a number content", `{"content": 7, "encoding": "base64"}`, "content must be a string of base64, not a number"},
		{"the URL alphabet", `{"content": "_9g=", "encoding": "base64"}`, "offset 0"},
		{"no padding", `{"content": "/9g", "encoding": "base64"}`, "not standard padded base64"},
		{"stray padding bits", `{"content": "/9h=", "encoding": "base64"}`, "not standard padded base64"},
		{"data after padding", `{"content": "/9g=/9g=", "encoding": "base64"}`, "not standard padded base64"},
		{"a space", `{"content": "/9g= ", "encoding": "base64"}`, "not standard padded base64"},
		{"a line break", `{"content": "/9g=\n/9g=", "encoding": "base64"}`, "line break at offset 4"},
		{"a duplicate key", `{"content": "/9g=", "content": "/9g=", "encoding": "base64"}`, "more than once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := &fakeService{resp: okResponse()}
			app, _ := testApp(t, svc, Config{})
			r := postJSON(t, app, `{"harness":"hello","files":{"src/main.rs":"fn main() {}","static/x.jpg":`+tc.value+`}}`)
			p := assertProblem(t, r, fiber.StatusBadRequest, StatusInvalidRequest, field)
			assert.Contains(t, p.Message, tc.message)
			assert.Zero(t, svc.callCount(), "a bad file never reaches the service")
		})
	}
}

// A large file is decoded straight from the body into one buffer of
// (about) its decoded size: nothing on the way copies the content (its
// JSON string, the object's members, a string on the way to bytes), so
// a file costs its bytes once, sent as base64 or as text.
func TestDecodeFileAllocatesItsBytesOnce(t *testing.T) {
	const decoded = 3 << 18                  // 768 KiB
	content := strings.Repeat("QUJD", 1<<18) // its 1 MiB of base64
	for name, raw := range map[string]json.RawMessage{
		"base64": json.RawMessage(`{"content": "` + content + `", "encoding": "base64"}`),
		"text":   json.RawMessage(`"` + content[:decoded] + `"`),
		// Every line's end escaped, as a source file's are: 1 in 128.
		"escaped text": json.RawMessage(`"` + strings.Repeat(content[:126]+`\n`, decoded/127) + content[:decoded%127] + `"`),
	} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got, err := decodeFile(raw, "f")
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			assert.Equal(t, decoded, len(got))
			assert.LessOrEqual(t, cap(got), decoded+decoded/64, "one buffer of about the decoded size")
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(cap(got)+4096), "allocated beyond the file's own buffer")
		})
	}
}
