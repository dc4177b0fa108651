package e2e

// End-to-end tests of issue 14's run-time hardening, through the HTTP API
// only: modules the sandbox cannot link, limits decided from what the
// host saw, mock and example results a stub cannot forge, and timers
// under the serve harness.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rocket-sandbox/rocket-sandbox/cache"
	"github.com/rocket-sandbox/rocket-sandbox/internal/outcome"
)

// attackNamed is the attack corpus's case of that name.
func attackNamed(t *testing.T, name string) attack {
	t.Helper()
	for _, a := range loadAttacks(t) {
		if a.name == name {
			return a
		}
	}
	t.Fatalf("no attack %q in testdata/attacks", name)
	return attack{}
}

// runAttack sends an attack of the corpus and returns the HTTP status and
// body.
func runAttack(t *testing.T, a attack) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"harness": a.harness, "stub": a.stub, "args": a.args})
	require.NoError(t, err)
	return post(t, "/api/v1/execute", "application/json", body)
}

func TestNoAttackGetsA5xxButOverloaded(t *testing.T) {
	// A 500 is the service's fault, never something a request can cause;
	// 503 (overloaded) is the only 5xx a request may see.
	for _, a := range loadAttacks(t) {
		t.Run(a.name, func(t *testing.T) {
			code, raw := runAttack(t, a)
			if code >= 500 {
				assert.Equal(t, http.StatusServiceUnavailable, code, "%s: %.1000s", a.what, raw)
			}
		})
	}
}

func TestUnlinkableModuleIsTheProgramsResult(t *testing.T) {
	for name, want := range map[string]string{
		"undefined_wasm_import":  `it imports the function "nope" from the module "env", which the sandbox does not provide`,
		"wrong_import_signature": `it imports the function "accept" from the module "sandbox_vsock" as (i64, f64) -> (i64), but the sandbox's is () -> (i32)`,
	} {
		t.Run(name, func(t *testing.T) {
			a := attackNamed(t, name)
			code, raw := runAttack(t, a)
			require.Equal(t, http.StatusOK, code, "%s", raw)
			r := decodeResponse(t, raw)
			assert.Equal(t, outcome.StatusRuntimeError, r.Status)
			require.NotNil(t, r.Run)
			assert.Contains(t, r.Run.Trap, want)
			assert.Nil(t, r.Run.ExitCode)

			// A result like any other: memoized.
			code, raw = runAttack(t, a)
			require.Equal(t, http.StatusOK, code)
			assert.Equal(t, cache.Memory, decodeResponse(t, raw).Cache.Result)
		})
	}
}

func TestPrintedAllocationFailureIsNotMemoryLimit(t *testing.T) {
	code, raw := runAttack(t, attackNamed(t, "forged_memory_limit"))
	require.Equal(t, http.StatusOK, code)
	r := decodeResponse(t, raw)
	assert.Equal(t, outcome.StatusRuntimeError, r.Status, "the guest's words are not the host's observation")
	require.NotNil(t, r.Run)
	assert.Equal(t, outcome.LimitNone, r.Run.Usage.Limit)
	assert.Contains(t, r.Run.Stderr, "memory allocation of 999999999999 bytes failed")
}

func TestMockResultsCannotBeForged(t *testing.T) {
	// Printing the driver's (old) record marker: the app's output, nothing
	// more; run.result shows the response the app gave.
	t.Run("print the marker", func(t *testing.T) {
		code, raw := runAttack(t, attackNamed(t, "mock_forge_marker"))
		require.Equal(t, http.StatusOK, code)
		r := decodeResponse(t, raw)
		require.Equal(t, outcome.StatusOK, r.Status, "%s", raw)
		var res mockResult
		require.NoError(t, json.Unmarshal(r.Run.Result, &res))
		require.Len(t, res.Responses, 1)
		assert.Equal(t, "real", res.Responses[0].Body)
		assert.NotContains(t, res.Responses[0].Headers, "x-forged")
		assert.Contains(t, res.Log, "FORGED", "what the app printed is its log")
	})

	// Closing mod app early, or cfg-ing out the real driver with a dangling
	// attribute, or reaching for the channel with unsafe code: the program
	// does not compile, so nothing runs.
	for _, name := range []string{"mock_forge_close_module", "mock_forge_dangling_attribute", "mock_forge_unsafe_channel"} {
		t.Run(name, func(t *testing.T) {
			code, raw := runAttack(t, attackNamed(t, name))
			require.Equal(t, http.StatusOK, code)
			r := decodeResponse(t, raw)
			assert.Equal(t, outcome.StatusCompileError, r.Status, "%.2000s", raw)
			assert.Nil(t, r.Run)
		})
	}

	// The app asking for the record key itself: it does not get it, and
	// the run's records are no longer believed.
	t.Run("ask for the key", func(t *testing.T) {
		code, raw := runAttack(t, attackNamed(t, "mock_forge_record_channel"))
		require.Equal(t, http.StatusOK, code)
		r := decodeResponse(t, raw)
		require.NotNil(t, r.Run, "%.2000s", raw)
		var res mockResult
		require.NoError(t, json.Unmarshal(r.Run.Result, &res))
		assert.Empty(t, res.Responses)
		assert.Contains(t, res.Error, "without its key")
		assert.NotContains(t, string(r.Run.Result), "FORGED")
	})
}

func TestExampleCannotEscapeItsGeneratedMain(t *testing.T) {
	code, raw := runAttack(t, attackNamed(t, "example_escape_main"))
	require.Equal(t, http.StatusOK, code)
	r := decodeResponse(t, raw)
	assert.Equal(t, outcome.StatusCompileError, r.Status)
	var v struct{ Outcome string }
	require.NoError(t, json.Unmarshal(r.Result, &v))
	assert.Equal(t, "failed", v.Outcome, "a failing doctest never passes by closing fn main early")
}

// timerApp is a Rocket app whose routes wait on the runtime's timers for
// far longer, in virtual time, than the run's wall-clock deadline
// (testRunTimeout).
const timerApp = `#[macro_use] extern crate rocket;
use rocket::response::stream::{Event, EventStream};
use rocket::tokio::time::{self, Duration, Instant};

#[get("/sleep")]
async fn sleep() -> String {
    let start = Instant::now();
    time::sleep(Duration::from_millis(1500)).await;
    format!("slept {}ms", start.elapsed().as_millis())
}

#[get("/interval")]
async fn interval() -> String {
    let start = Instant::now();
    let mut every = time::interval(Duration::from_secs(2));
    for _ in 0..4 {
        every.tick().await;
    }
    format!("4 ticks by {}ms", start.elapsed().as_millis())
}

#[get("/timeout")]
async fn timeout() -> String {
    let start = Instant::now();
    match time::timeout(Duration::from_secs(3), time::sleep(Duration::from_secs(3600))).await {
        Ok(()) => "the hour passed first".into(),
        Err(_) => format!("timed out after {}ms", start.elapsed().as_millis()),
    }
}

#[get("/events")]
fn events() -> EventStream![] {
    EventStream! {
        let mut every = time::interval(Duration::from_secs(5));
        for i in 0..3 {
            every.tick().await;
            yield Event::data(format!("tick {i}"));
        }
    }
}

#[launch]
fn rocket() -> _ {
    rocket::build().mount("/", routes![sleep, interval, timeout, events])
}
`

func TestServeTimersAdvanceTheVirtualClock(t *testing.T) {
	// Each route waits on timers for longer than the run's deadline (3 s
	// here); the guest is idle meanwhile, so the virtual clock jumps to
	// each timer and the answer comes at once, the same on every run.
	// (Rocket starts an event stream with an empty comment, ":".)
	for uri, want := range map[string]string{
		"/sleep":    "slept 1501ms",
		"/interval": "4 ticks by 6001ms",
		"/timeout":  "timed out after 3001ms",
		"/events":   ":\ndata:tick 0\n\ndata:tick 1\n\ndata:tick 2\n\n",
	} {
		t.Run(strings.TrimPrefix(uri, "/"), func(t *testing.T) {
			var first []byte
			for _, seed := range []uint64{1, 2} {
				r, _ := execute(t, map[string]any{"harness": "serve", "stub": timerApp, "seed": seed, "args": map[string]any{"uri": uri}})
				require.Equal(t, outcome.StatusOK, r.Status, "run: %+v", r.Run)
				var res struct {
					Responses []struct {
						Status int    `json:"status"`
						Body   string `json:"body"`
						Error  string `json:"error"`
					} `json:"responses"`
				}
				require.NoError(t, json.Unmarshal(r.Run.Result, &res))
				require.Len(t, res.Responses, 1)
				assert.Equal(t, 200, res.Responses[0].Status, res.Responses[0].Error)
				assert.Equal(t, want, res.Responses[0].Body)
				if first == nil {
					first = r.Run.Result
				} else {
					assert.Equal(t, string(first), string(r.Run.Result), "deterministic: the same bytes on another run")
				}
			}
		})
	}
}
