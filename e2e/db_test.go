package e2e

// End-to-end tests of SQLite inside the guest (issue 13): a database-backed
// app through the HTTP API, and Rocket's own todo and databases examples
// (read where they are, ../shared/rocket-examples, never copied here) sent
// as projects through the test harness, their own tests passing.

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/examples"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// A database-backed app (rocket_db_pools with sqlx on a SQLite file in the
// run's scratch layer, its table from sqlx's migrate! over the project's
// migrations/): a POST stores, the GET after it reads it back. Each run
// starts with an empty database — the second run's note gets id 1 again —
// and the same request answers the same bytes.
func TestDatabaseBackedAppStoresAndReadsBack(t *testing.T) {
	files := loadProject(t, "notes")
	serve := func(text string) (string, []byte) {
		req := map[string]any{"harness": "serve", "files": files, "limits": dbLimits, "args": map[string]any{
			"requests": []map[string]any{
				{"method": "POST", "uri": "/notes", "body": text},
				{"uri": "/notes"},
			},
		}}
		r, raw := execute(t, req)
		require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
		s := servedOf(t, r)
		require.Len(t, s.Responses, 2, "%s", r.Run.Result)
		assert.Equal(t, 200, s.Responses[0].Status, "Rocket's log: %s", r.Run.Stdout)
		assert.Equal(t, "stored 1", s.Responses[0].Body)
		assert.Equal(t, 200, s.Responses[1].Status)
		return s.Responses[1].Body, r.Run.Result
	}
	first, result := serve("first note")
	assert.Equal(t, `[[1,"first note"]]`, first)
	second, _ := serve("second note")
	assert.Equal(t, `[[1,"second note"]]`, second, "the database starts empty in every run")
	_, again := serve("first note")
	assert.Equal(t, string(result), string(again), "same request, same bytes")
}

// The limits a database test asks for: the service's maxima in the e2e
// configuration (TestMain). Generous, as wall time on a loaded machine.
const (
	dbRunTimeout     = 60 * time.Second
	dbCompileTimeout = 120 * time.Second
)

var dbLimits = map[string]any{"run_timeout_ms": dbRunTimeout.Milliseconds(), "compile_wall_time_ms": dbCompileTimeout.Milliseconds()}

// loadExample reads one of Rocket's examples as a project (examplesDir,
// examples_test.go): each text file as a string, the others (todo's
// favicon) as their bytes in base64 (examples.Example.Project).
func loadExample(t *testing.T, name string) map[string]any {
	t.Helper()
	exs, err := examples.Load(examplesDir(), name)
	require.NoError(t, err, "Rocket's examples beside the clone (ROCKET_SANDBOX_EXAMPLES_DIR)")
	files := map[string]any{}
	for path, content := range exs[0].Project() {
		var text string
		if json.Unmarshal(content, &text) == nil {
			files[path] = text
		} else {
			files[path] = content
		}
	}
	return files
}

// runExampleTests sends files through the test harness and requires every
// test named in want to pass, and nothing else to run.
func runExampleTests(t *testing.T, files map[string]any, want ...string) {
	t.Helper()
	r, raw := execute(t, map[string]any{"harness": "test", "files": files, "limits": dbLimits})
	require.NotNil(t, r.Compile, "%s", raw)
	require.True(t, r.Compile.Success, "%s", r.Compile.Stderr)
	var s testSummary
	require.NotNil(t, r.Run, "%s", raw)
	require.NoError(t, json.Unmarshal(r.Run.Result, &s), "%s", r.Run.Result)
	status := map[string]string{}
	for _, tc := range s.Tests {
		status[tc.Name] = tc.Status
		assert.Equal(t, "ok", tc.Status, "%s: stdout %s\nstderr %s", tc.Name, tc.Stdout, tc.Stderr)
	}
	wantStatus := map[string]string{}
	for _, name := range want {
		wantStatus[name] = "ok"
	}
	assert.Equal(t, wantStatus, status)
	assert.Equal(t, outcome.StatusOK, r.Status, "%s", r.Run.Stdout)
}

// Rocket's todo example, unmodified: diesel's SQLite through
// rocket_sync_db_pools (r2d2), embed_migrations! from its migrations/, tera
// templates, FileServer — its own five tests pass in the sandbox.
func TestDatabaseTodoExamplePassesItsOwnTests(t *testing.T) {
	runExampleTests(t, loadExample(t, "todo"), "tests::test_index", "tests::test_insertion_deletion",
		"tests::test_toggle", "tests::test_many_insertions", "tests::test_bad_form_submissions")
}

// Rocket's databases example with its three SQLite flavours — sqlx through
// rocket_db_pools (query! from its .sqlx/ data, migrate!), diesel and
// rusqlite through rocket_sync_db_pools — passes its own tests. Its fourth
// module, diesel-async over MySQL, cannot be built for the guest (mysql_async
// needs OpenSSL, zlib and socket2; wasi-shims/README.md), so this sends
// the example without it: diesel_mysql.rs left out, and the two lines
// that name it dropped from main.rs and its feature from Cargo.toml.
// Everything else, tests.rs included, is the example's.
func TestDatabaseExampleSQLiteFlavoursPassTheirOwnTests(t *testing.T) {
	files := loadExample(t, "databases")
	delete(files, "src/diesel_mysql.rs")
	main := files["src/main.rs"].(string)
	for _, line := range []string{"mod diesel_mysql;\n", "        .attach(diesel_mysql::stage())\n"} {
		require.Contains(t, main, line)
		main = strings.Replace(main, line, "", 1)
	}
	files["src/main.rs"] = main
	manifest := files["Cargo.toml"].(string)
	require.Contains(t, manifest, `features = ["sqlx_sqlite", "diesel_mysql"]`)
	files["Cargo.toml"] = strings.Replace(manifest, `, "diesel_mysql"`, "", 1)
	runExampleTests(t, files, "tests::test_sqlx", "tests::test_diesel", "tests::test_rusqlite")
}
