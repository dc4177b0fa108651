package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// tempDirProgram writes a file into std::env::temp_dir() and reads it
// back, then prints what Rocket's default config takes as its temp_dir
// (std's, since the wasi-shims/std patch: no Rocket patch of its own).
const tempDirProgram = `use std::io::Write;

fn main() {
    let dir = std::env::temp_dir();
    println!("{}", dir.display());
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("note.txt");
    std::fs::File::create(&path).unwrap().write_all(b"written in the guest").unwrap();
    println!("{}", std::fs::read_to_string(&path).unwrap());
    println!("{}", rocket::Config::default().temp_dir.relative().display());
}
`

// std::env::temp_dir() panicked on wasm32-wasip1 ("not supported by WASI
// yet"); with the std patch it is, as on unix, TMPDIR if set, else /tmp —
// the run's file system's empty, writable /tmp.
func TestTempDirIsTmpAndWritable(t *testing.T) {
	files := map[string]any{"src/main.rs": tempDirProgram}
	r, raw := execute(t, map[string]any{"harness": "program", "files": files})
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	require.NotNil(t, r.Run, "%s", raw)
	assert.Equal(t, "/tmp\nwritten in the guest\n/tmp\n", r.Run.Stdout, "stderr: %s", r.Run.Stderr)
	assert.NotContains(t, r.Run.Stderr, "not supported by WASI")

	// The program's environment decides, as natively: Rocket follows std.
	r, raw = execute(t, map[string]any{"harness": "program", "files": files, "args": map[string]any{"env": map[string]string{"TMPDIR": "/tmp/mine"}}})
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	assert.Equal(t, "/tmp/mine\nwritten in the guest\n/tmp/mine\n", r.Run.Stdout, "stderr: %s", r.Run.Stderr)
}
