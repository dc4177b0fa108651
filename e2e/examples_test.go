package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/internal/examples"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// examplesDir is Rocket's examples/ at v0.5.1, beside the clone
// (ROCKET_SANDBOX_EXAMPLES_DIR overrides it).
func examplesDir() string {
	if d := os.Getenv("ROCKET_SANDBOX_EXAMPLES_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "rocket-examples")
}

// A Cargo.toml as Rocket's examples write theirs is taken as it is: a
// workspace member (workspace = "../"), path dependencies into Rocket's
// tree (the profile's build is used), a renamed dependency (`ws = {
// package = "rocket_ws" }` is rocket_ws under the name ws) and
// dev-dependencies, which the tests use.
func TestExamplesCargoTomlIsTakenUnmodified(t *testing.T) {
	files := map[string]any{
		"Cargo.toml": `[package]
name = "echo-app"
version = "0.0.0"
workspace = "../"
edition = "2021"
publish = false

[dependencies]
rocket = { path = "../../core/lib", features = ["json"] }
ws = { package = "rocket_ws", path = "../../contrib/ws" }

[dev-dependencies]
rand = "0.8"
`,
		"src/main.rs": `#[macro_use] extern crate rocket;

#[get("/echo")]
fn echo(ws: ws::WebSocket) -> ws::Channel<'static> {
    use rocket::futures::{SinkExt, StreamExt};
    ws.channel(move |mut stream| Box::pin(async move {
        while let Some(message) = stream.next().await {
            let _ = stream.send(message?).await;
        }
        Ok(())
    }))
}

#[launch]
fn rocket() -> _ {
    rocket::build().mount("/", routes![echo])
}

#[cfg(test)]
mod tests {
    use rand::Rng;

    #[test]
    fn renamed_dependency_is_rocket_ws() {
        let m = ws::Message::text("hi");
        assert_eq!(m.to_text().unwrap(), "hi");
    }

    #[test]
    fn dev_dependency_is_there() {
        let n: u8 = rand::thread_rng().gen_range(1..2);
        assert_eq!(n, 1);
    }

    #[test]
    fn the_app_ignites_with_the_renamed_crate() {
        let client = rocket::local::blocking::Client::tracked(super::rocket()).unwrap();
        assert_eq!(client.get("/nowhere").dispatch().status(), rocket::http::Status::NotFound);
    }
}
`,
	}
	r, raw := execute(t, map[string]any{"harness": "test", "files": files})
	require.NotNil(t, r.Compile, "%s", raw)
	require.True(t, r.Compile.Success, "%s", r.Compile.Stderr)
	require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
	var s testSummary
	require.NoError(t, json.Unmarshal(r.Run.Result, &s), "%s", r.Run.Result)
	status := map[string]string{}
	for _, tc := range s.Tests {
		status[tc.Name] = tc.Status
	}
	assert.Equal(t, map[string]string{"tests::renamed_dependency_is_rocket_ws": "ok", "tests::dev_dependency_is_there": "ok",
		"tests::the_app_ignites_with_the_renamed_crate": "ok"}, status)

	// A renamed dependency is checked as the crate it names.
	files["Cargo.toml"] = "[dependencies]\nws = { package = \"tungstenite\", version = \"0.20\" }\n"
	body, err := json.Marshal(map[string]any{"harness": "test", "files": files})
	require.NoError(t, err)
	code, raw := post(t, "/api/v1/execute", "application/json", body)
	require.Equal(t, http.StatusBadRequest, code, "%s", raw)
	p := decodeProblem(t, raw)
	assert.Equal(t, `files["Cargo.toml"]`, p.Field)
	assert.Contains(t, p.Message, `dependencies.ws: the prepared profile has no crate "tungstenite"`)
}

// examplesSubset is what CI runs of Rocket's examples (make examples runs
// all 19, with the native side): each example's tests and their outcomes
// as native `cargo test` gives them (bench/results/rocket-examples.md,
// and the native run's log in the state dir,
// reference/examples-native/cargo-test.log).
var examplesSubset = map[string]map[string]string{
	"hello":          passed("tests::hello", "tests::hello_mir", "tests::hello_world", "tests::wave"),
	"manual-routing": passed("tests::test_echo", "tests::test_forward", "tests::test_name", "tests::test_not_found", "tests::test_upload"),
	"error-handling": passed("tests::forced_error", "tests::test_hello", "tests::test_hello_invalid_age", "tests::test_hello_sergio"),
	"fairings":       passed("tests::counts", "tests::rewrite_get_put", "tests::token"),
	"config":         passed("tests::test_debug_config", "tests::test_release_config"),
	"pastebin":       passed("tests::check_index", "tests::pasting"),
	"testing":        passed("async_required::test::test_rendezvous", "test::test_hello"),
	"chat":           passed("tests::bad_messages", "tests::messages"),
	"responders": passed("tests::test_custom", "tests::test_either", "tests::test_file", "tests::test_login", "tests::test_many_his",
		"tests::test_one_hi_per_second", "tests::test_redir_root", "tests::test_xml"),
	// Its icon is sent as bytes (base64): docs/api.md, "Binary files".
	"static-files": passed("tests::test_hidden_file", "tests::test_hidden_index_html", "tests::test_icon_file", "tests::test_index_html", "tests::test_invalid_path"),
	"cookies":      passed("tests::login_fails", "tests::login_logout_succeeds", "tests::redirect_logged_out_session", "tests::test_message"),
	"state": passed("tests::test_count", "tests::test_count_parallel", "tests::test_count_parallel_2", "tests::test_count_parallel_3",
		"tests::test_count_parallel_4", "tests::test_count_parallel_5", "tests::test_count_parallel_6", "tests::test_count_parallel_7",
		"tests::test_count_parallel_8", "tests::test_count_parallel_9", "tests::test_queue_push_pop", "tests::test_request_local_state"),
}

func passed(names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = "passed"
	}
	return m
}

// A handful of Rocket's examples, sent unmodified through the runner's
// sandbox side (the test harness over HTTP), must give every test the
// outcome it has natively.
func TestExamplesSubsetHasNativeParity(t *testing.T) {
	var names []string
	for n := range examplesSubset {
		names = append(names, n)
	}
	exs, err := examples.Load(examplesDir(), names...)
	require.NoError(t, err, "Rocket's examples belong beside the clone, in ../shared/rocket-examples (or ROCKET_SANDBOX_EXAMPLES_DIR)")
	hc := &http.Client{Timeout: 10 * time.Minute}
	for _, e := range exs {
		t.Run(e.Name, func(t *testing.T) {
			side, err := examples.Sandbox(context.Background(), hc, baseURL, e, nil)
			require.NoError(t, err)
			row := examples.Compare(e.Name, side, examples.Side{Tests: examplesSubset[e.Name]})
			assert.True(t, row.Parity, "%s differs from cargo test: %v", e.Name, row.Differences)
			assert.NotEmpty(t, side.Tests, "the example has tests")
		})
	}
}
