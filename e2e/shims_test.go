package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTempFilePersistLinks: a handler that persists an uploaded TempFile
// pulls in the errno crate's __errno_location, which bookworm's wasi-libc
// lacks; the shims provide it, so the app links. (Running it is another
// matter: TempFile hands its file work to tokio's blocking pool, and a
// wasip1 guest has no threads — wasi-shims/README.md, "What does not work".)
func TestTempFilePersistLinks(t *testing.T) {
	stub := `#[macro_use] extern crate rocket;
use rocket::fs::TempFile;

#[post("/upload", data = "<file>")]
async fn upload(mut file: TempFile<'_>) -> std::io::Result<String> {
    let n = file.len();
    file.persist_to("/upload/file.txt").await?;
    Ok(format!("{n} bytes"))
}

#[launch]
fn rocket() -> _ { rocket::build().mount("/", routes![upload]) }
`
	r, raw := execute(t, map[string]any{"harness": "serve", "stub": stub,
		"args": map[string]any{"method": "POST", "uri": "/upload", "body": "hello"}})
	require.NotNil(t, r.Compile, "%s", raw)
	assert.True(t, r.Compile.Success, "it links: %s", r.Compile.Stderr)
	assert.NotContains(t, r.Compile.Stderr, "__errno_location")
	require.NotNil(t, r.Run, "it compiled, so it ran: %s", raw)
}
