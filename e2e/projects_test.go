package e2e

// End-to-end tests of issue 10's projects: cargo's environment at
// compile time, projects of several files, the project's files at run
// time, and the test harness — each through the HTTP API with real files.

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// A stub sees cargo's environment, rooted at the virtual root, so
// Rocket's relative!() (concat!(env!("CARGO_MANIFEST_DIR"), ...))
// compiles and names a path below it.
func TestProjectsCargoEnvironmentAtCompileTime(t *testing.T) {
	stub := `use rocket::fs::relative;
fn main() {
    println!("{}", env!("CARGO_MANIFEST_DIR"));
    println!("{}", relative!("static"));
    println!("{} {} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"), env!("CARGO_CRATE_NAME"));
    println!("{:?}", option_env!("HOME"));
}
`
	r, _ := execute(t, map[string]any{"harness": "program", "stub": stub})
	require.NotNil(t, r.Compile)
	require.True(t, r.Compile.Success, "compile: %s", r.Compile.Stderr)
	require.Equal(t, outcome.StatusOK, r.Status)
	assert.Equal(t, "/work\n/work/static\nmain 0.1.0 main\nNone\n", r.Run.Stdout,
		"cargo's variables at the virtual root; nothing of the host's environment")
}

// loadProject reads a project from testdata/projects/<name> as the
// request's files (text).
func loadProject(t *testing.T, name string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for p, b := range readProject(t, name) {
		files[p] = string(b)
	}
	return files
}

// readProject reads every file below testdata/projects/<name>, by
// '/'-separated path.
func readProject(t *testing.T, name string) map[string][]byte {
	t.Helper()
	root := filepath.Join(testdata, "projects", name)
	files := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = b
		return err
	}))
	return files
}

// A project of several files compiles with its modules (`mod`, #[path])
// and its data (include_str!, relative and from CARGO_MANIFEST_DIR) from
// the files sent, with cargo's identity from its Cargo.toml.
func TestProjectsSeveralFilesCompile(t *testing.T) {
	files := loadProject(t, "modules")
	r, raw := execute(t, map[string]any{"harness": "program", "files": files})
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	assert.Equal(t, "routes\nHELLO FROM A TEMPLATE\ntrue\nseveral-files 1.2.3\n", r.Run.Stdout)

	// A mistake in another file is reported in that file.
	files["src/routes.rs"] = "pub fn name() -> &'static str {\n    42\n}\n"
	r, raw = execute(t, map[string]any{"harness": "program", "files": files})
	require.Equal(t, outcome.StatusCompileError, r.Status, "%s", raw)
	require.NotEmpty(t, r.Compile.Diagnostics)
	d := r.Compile.Diagnostics[0]
	assert.Equal(t, "src/routes.rs", d.File, "%s", raw)
	assert.Equal(t, 2, d.Line)
	assert.Contains(t, r.Compile.Stderr, "--> src/routes.rs:2:5")
}

// The memo key covers every file: a changed template (not the crate
// root) is a new result, the same files again are a memoized one.
func TestProjectsMemoKeyCoversEveryFile(t *testing.T) {
	files := loadProject(t, "modules")
	files["templates/greeting.txt"] = "a memo key test\n"
	req := map[string]any{"harness": "program", "files": files}
	first, _ := execute(t, req)
	require.Equal(t, outcome.StatusOK, first.Status)
	again, _ := execute(t, req)
	assert.NotEqual(t, "miss", string(again.Cache.Result), "the same files again are memoized")

	files["templates/greeting.txt"] = "another memo key test\n"
	changed, _ := execute(t, map[string]any{"harness": "program", "files": files})
	assert.Equal(t, "miss", string(changed.Cache.Result), "a changed data file is another request")
	assert.Contains(t, changed.Run.Stdout, "ANOTHER MEMO KEY TEST")
}

// Bad file sets are refused before anything compiles, with a coded error
// naming the file.
func TestProjectsBadFilesAreRefusedNamingTheFile(t *testing.T) {
	main := "fn main() {}\n"
	many := map[string]any{"src/main.rs": main}
	for i := range 70 {
		many[fmt.Sprintf("data/%d.txt", i)] = "x"
	}
	cases := []struct {
		name   string
		files  map[string]any
		stub   string
		code   int
		field  string
		saying string
	}{
		{"dot-dot", map[string]any{"src/main.rs": main, "../escape.txt": "x"}, "", 400, `files["../escape.txt"]`, "without . or .."},
		{"absolute", map[string]any{"src/main.rs": main, "/etc/passwd": "x"}, "", 400, `files["/etc/passwd"]`, "absolute"},
		{"output dir", map[string]any{"src/main.rs": main, "target/main.wasm": "x"}, "", 400, `files["target/main.wasm"]`, "output"},
		{"backslash", map[string]any{"src/main.rs": main, `a\b`: "x"}, "", 400, `files["a\\b"]`, "backslash"},
		{"no crate root", map[string]any{"templates/x": "x"}, "", 400, "files", "crate root"},
		{"root twice", map[string]any{"src/main.rs": main}, main, 400, `files["src/main.rs"]`, "once"},
		{"file and directory", map[string]any{"src/main.rs": main, "static": "x", "static/a.css": "x"}, "", 400, `files["static"]`, "directory"},
		{"too many", many, "", 413, "files", "the limit is 64"},
		{"not a string", map[string]any{"src/main.rs": 42}, "", 400, `files["src/main.rs"]`, "string"},
		{"unknown crate", map[string]any{"src/main.rs": main, "Cargo.toml": "[dependencies]\nreqwest = \"0.12\"\n"}, "", 400,
			`files["Cargo.toml"]`, "no crate \"reqwest\"; available: diesel"},
		{"feature not built", map[string]any{"src/main.rs": main, "Cargo.toml": "[dependencies]\nrocket_db_pools = { version = \"0.2\", features = [\"diesel_mysql\"] }\n"}, "", 400,
			`files["Cargo.toml"]`, "rocket_db_pools has: default, sqlx_sqlite"},
		{"version not in the lock", map[string]any{"src/main.rs": main, "Cargo.toml": "[dependencies]\nrocket = \"0.4\"\n"}, "", 400,
			`files["Cargo.toml"]`, "does not match the profile's rocket 0.5.1"},
		{"build script", map[string]any{"src/main.rs": main, "Cargo.toml": "[package]\nname = \"x\"\nbuild = \"build.rs\"\n"}, "", 400,
			`files["Cargo.toml"]`, "build scripts are not run"},
		{"a library for program", map[string]any{"src/lib.rs": "pub fn f() {}\n"}, "", 400, `files["src/lib.rs"]`, "test harness"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := map[string]any{"harness": "program", "files": c.files}
			if c.stub != "" {
				req["stub"] = c.stub
			}
			body, err := json.Marshal(req)
			require.NoError(t, err)
			code, raw := post(t, "/api/v1/execute", "application/json", body)
			require.Equal(t, c.code, code, "%s", raw)
			p := decodeProblem(t, raw)
			assert.Equal(t, "invalid_request", p.Status)
			assert.Equal(t, c.field, p.Field, "%s", raw)
			assert.Contains(t, p.Message, c.saying)
		})
	}
}

// The project's files are there at run time, read-only, from memory, at
// the virtual root and as the working directory: Template::fairing()
// finds templates/, static/ reads at relative!("static") and at a
// relative path, figment reads Rocket.toml; writes go to a scratch layer
// (upload/), the project's own files cannot change, and nothing of the
// host is there.
func TestProjectsFilesAtRunTime(t *testing.T) {
	req := map[string]any{"harness": "serve", "files": loadProject(t, "webapp"), "args": map[string]any{
		"requests": []map[string]any{
			{"uri": "/"},
			{"uri": "/static/style.css"},
			{"uri": "/relative"},
			{"uri": "/config"},
			{"method": "POST", "uri": "/upload/note.txt", "body": "kept for the run"},
			{"uri": "/overwrite"},
			{"uri": "/host"},
		},
	}}
	r, raw := execute(t, req)
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	s := servedOf(t, r)
	require.Len(t, s.Responses, 7, "%s", r.Run.Result)
	bodies := make([]string, len(s.Responses))
	for i, resp := range s.Responses {
		assert.Equal(t, 200, resp.Status, "response %d: %+v (stdout %s)", i, resp, r.Run.Stdout)
		bodies[i] = resp.Body
	}
	assert.Equal(t, "<h1>Hello, Ferris!</h1>\n", bodies[0], "the Template fairing read templates/")
	assert.Equal(t, "body { color: red; }\n", bodies[1], "static/ at relative!(\"static\")")
	assert.Equal(t, "a named file\n", bodies[2], "static/ at a relative path: the project is the working directory")
	assert.Equal(t, "hello from Rocket.toml", bodies[3], "figment read Rocket.toml")
	assert.Equal(t, "kept for the run", bodies[4], "a write to upload/ reads back")
	assert.Equal(t, "refused: read-only filesystem or storage medium", bodies[5], "the project's own files are read-only")
	assert.Equal(t, "false", bodies[6], "nothing of the host")

	// Fixed times and a fresh scratch layer: the same request, the same bytes.
	_, raw2 := execute(t, req)
	assert.Equal(t, normalize(t, raw), normalize(t, raw2))
}

// ROCKET_* configuration reaches figment from the env argument, over
// Rocket.toml, as a real environment would.
func TestProjectsRocketEnvironmentConfiguration(t *testing.T) {
	r, raw := execute(t, map[string]any{"harness": "serve", "files": loadProject(t, "webapp"), "args": map[string]any{
		"uri": "/config", "env": map[string]string{"ROCKET_GREETING": "hello from ROCKET_GREETING"},
	}})
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	s := servedOf(t, r)
	require.Len(t, s.Responses, 1)
	assert.Equal(t, "hello from ROCKET_GREETING", s.Responses[0].Body)
}

// What a run writes is capped: past the scratch cap a write fails (the
// program sees an I/O error), and the next run starts from the project's
// files again.
func TestProjectsScratchWritesAreCapped(t *testing.T) {
	stub := `fn main() {
    let big = vec![b'x'; 5 << 20];
    match std::fs::write("big.bin", &big) {
        Ok(()) => println!("written"),
        Err(e) => println!("refused: {}", e.kind()),
    }
    std::fs::write("small.txt", "fits").unwrap();
    println!("{}", std::fs::read_to_string("small.txt").unwrap());
    println!("{:?}", std::fs::read_dir(".").unwrap().map(|e| e.unwrap().file_name()).collect::<Vec<_>>());
}
`
	r, raw := execute(t, map[string]any{"harness": "program", "stub": stub, "files": map[string]string{"data.txt": "sent"}})
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	assert.Contains(t, r.Run.Stdout, "refused: ", "a write past the 4 MiB scratch cap fails")
	assert.NotContains(t, r.Run.Stdout, "written")
	assert.Contains(t, r.Run.Stdout, "fits\n")
	assert.Contains(t, r.Run.Stdout, `["big.bin", "data.txt", "small.txt", "src", "tmp"]`, "the project's files, the run's own and /tmp, in name order")
}

// testSummary is the test harness's run.result.
type testSummary struct {
	Tests []struct {
		Name        string `json:"name"`
		Status      string `json:"status"`
		ShouldPanic bool   `json:"should_panic"`
		Stdout      string `json:"stdout"`
		Stderr      string `json:"stderr"`
	} `json:"tests"`
	Passed, Failed, Ignored, FilteredOut int
}

const crateWithTests = `#[macro_use]
extern crate rocket;

#[get("/")]
fn index() -> &'static str {
    "hi"
}

fn main() {}

#[cfg(test)]
mod tests {
    use rocket::local::asynchronous::Client;

    #[test]
    fn passes() {
        println!("output of passes");
        assert_eq!(1 + 1, 2);
    }

    #[test]
    #[should_panic(expected = "boom")]
    fn panics_as_expected() {
        panic!("boom, as expected");
    }

    #[test]
    fn fails() {
        assert_eq!(1, 2, "one is not two");
    }

    #[test]
    #[ignore]
    fn slow() {}

    #[rocket::async_test]
    async fn serves() {
        let client = Client::tracked(rocket::build().mount("/", routes![super::index])).await.unwrap();
        assert_eq!(client.get("/").dispatch().await.into_string().await.unwrap(), "hi");
    }
}
`

// The test harness runs a crate's tests like cargo test: each in its own
// instance (a failing test's panic does not stop the others),
// should_panic honoured, #[ignore] skipped, async tests, a filter, and a
// libtest-like report.
func TestProjectsTestHarness(t *testing.T) {
	r, raw := execute(t, map[string]any{"harness": "test", "stub": crateWithTests})
	require.NotNil(t, r.Compile, "%s", raw)
	require.True(t, r.Compile.Success, "%s", r.Compile.Stderr)
	require.Equal(t, outcome.StatusRuntimeError, r.Status, "a failed test fails the run, as cargo test exits 101: %s", raw)
	require.NotNil(t, r.Run.ExitCode)
	assert.EqualValues(t, 101, *r.Run.ExitCode)
	var s testSummary
	require.NoError(t, json.Unmarshal(r.Run.Result, &s), "%s", r.Run.Result)
	status := map[string]string{}
	for _, tc := range s.Tests {
		status[tc.Name] = tc.Status
		if tc.Name == "tests::passes" {
			assert.Equal(t, "output of passes\n", tc.Stdout, "each test's own output")
		}
		if tc.Name == "tests::panics_as_expected" {
			assert.True(t, tc.ShouldPanic)
		}
		if tc.Name == "tests::fails" {
			assert.Contains(t, tc.Stderr, "one is not two")
		}
	}
	assert.Equal(t, map[string]string{"tests::passes": "ok", "tests::panics_as_expected": "ok", "tests::fails": "failed",
		"tests::slow": "ignored", "tests::serves": "ok"}, status)
	assert.Contains(t, r.Run.Stdout, "test tests::panics_as_expected - should panic ... ok\n")
	assert.Contains(t, r.Run.Stdout, "test tests::fails ... FAILED\n")
	assert.Contains(t, r.Run.Stdout, "---- tests::fails stdout ----\n")
	assert.Contains(t, r.Run.Stdout, "test result: FAILED. 3 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s\n")
	var verdict struct{ Outcome string }
	require.NoError(t, json.Unmarshal(r.Result, &verdict))
	assert.Equal(t, "failed", verdict.Outcome)

	// A filter, and the ignored tests included: all pass.
	r, raw = execute(t, map[string]any{"harness": "test", "stub": crateWithTests, "args": map[string]any{"filter": "::s", "include_ignored": true}})
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	assert.Contains(t, r.Run.Stdout, "test tests::serves ... ok\ntest tests::slow ... ok\n")
	assert.Contains(t, r.Run.Stdout, "test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 3 filtered out; finished in 0.00s\n", "%s", r.Run.Stdout)
	require.NoError(t, json.Unmarshal(r.Result, &verdict))
	assert.Equal(t, "passed", verdict.Outcome)

	// The test build needs RUSTC_BOOTSTRAP, but the crate stays on stable
	// Rust: a #![feature] is refused, as under cargo test.
	r, raw = execute(t, map[string]any{"harness": "test", "stub": "#![feature(never_type)]\nfn main() {}\n#[test]\nfn t() {}\n"})
	require.Equal(t, outcome.StatusCompileError, r.Status, "%s", raw)
	assert.Contains(t, r.Compile.Stderr, "not in the list of allowed features")
}

// A library project's tests run too (src/lib.rs), and its files are there
// for them at run time.
func TestProjectsTestHarnessOnALibraryProject(t *testing.T) {
	files := map[string]string{
		"src/lib.rs": `pub fn greeting() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/greeting.txt")).unwrap()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_its_file() {
        assert_eq!(super::greeting(), "hello\n");
    }
}
`,
		"greeting.txt": "hello\n",
	}
	r, raw := execute(t, map[string]any{"harness": "test", "files": files})
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	assert.Contains(t, r.Run.Stdout, "test tests::reads_its_file ... ok\n")
}

// A documentation block marked test_harness is compiled with --test and
// passes when its tests do, as rustdoc runs it.
func TestProjectsExampleTestHarness(t *testing.T) {
	block := "#[test]\nfn adds() {\n    assert_eq!(1 + 1, 2);\n}\n"
	r, raw := execute(t, map[string]any{"harness": "example", "stub": block, "args": map[string]any{"attrs": "test_harness"}})
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	var verdict struct{ Outcome string }
	require.NoError(t, json.Unmarshal(r.Result, &verdict))
	assert.Equal(t, "passed", verdict.Outcome)
	assert.Contains(t, r.Run.Stdout, "test adds ... ok\n")

	r, raw = execute(t, map[string]any{"harness": "example", "stub": "#[test]\nfn fails() { panic!(\"no\"); }\n", "args": map[string]any{"attrs": "test_harness"}})
	require.NotNil(t, r.Run, "%s", raw)
	require.NoError(t, json.Unmarshal(r.Result, &verdict))
	assert.Equal(t, "failed", verdict.Outcome)
}

// The README's and docs/api.md's example project, sent as it is.
func TestProjectsDocumentedExample(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(testdata, "projects", "hello-template.json"))
	require.NoError(t, err)
	code, raw := post(t, "/api/v1/execute", "application/json", body)
	require.Equal(t, 200, code, "%s", raw)
	r := decodeResponse(t, raw)
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	s := servedOf(t, r)
	require.Len(t, s.Responses, 1)
	assert.Equal(t, "<h1>Hello, Ferris!</h1>\n", s.Responses[0].Body)
}

// tokio's blocking pool runs its tasks in place on the thread-less guest,
// so what Rocket does through tokio::fs works: FileServer, NamedFile, an
// uploaded TempFile persisted into the project, spawn_blocking.
func TestProjectsFileServerNamedFileTempFile(t *testing.T) {
	req := map[string]any{"harness": "serve", "files": loadProject(t, "fileserver"), "args": map[string]any{
		"requests": []map[string]any{
			{"uri": "/files/index.txt"},
			{"uri": "/named"},
			{"method": "POST", "uri": "/upload/note.txt", "body": "persisted"},
			{"uri": "/blocking"},
			{"uri": "/files/missing.txt"},
		},
	}}
	r, raw := execute(t, req)
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	s := servedOf(t, r)
	require.Len(t, s.Responses, 5, "%s", r.Run.Result)
	want := []struct {
		status int
		body   string
	}{
		{200, "served by FileServer\n"},
		{200, "a named file\n"},
		{200, "persisted"},
		{200, "42"},
		{404, ""},
	}
	for i, w := range want {
		assert.Equal(t, w.status, s.Responses[i].Status, "response %d: %+v (Rocket's log: %s)", i, s.Responses[i], r.Run.Stdout)
		if w.body != "" {
			assert.Equal(t, w.body, s.Responses[i].Body, "response %d", i)
		}
	}
}
