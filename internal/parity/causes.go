package parity

import (
	"regexp"
	"strings"
)

// RocketCauses explains why blocks of Rocket 0.5.1's API documentation
// have another outcome in the sandbox than under `cargo test --doc` (or no
// outcome there), most specific first. Each was found by reading the
// block and both sides' accounts; a block no cause matches is reported as
// unexplained, so a new kind of difference cannot hide in a known group.
func RocketCauses() []Cause {
	detail := func(re string) func(Row) bool {
		rx := regexp.MustCompile(re)
		return func(r Row) bool { return rx.MatchString(r.Sandbox.Detail) }
	}
	absent := func(m func(Row) bool) func(Row) bool {
		return func(r Row) bool { return r.Native.Outcome == Absent && m(r) }
	}
	judged := func(m func(Row) bool) func(Row) bool {
		return func(r Row) bool { return r.Native.Outcome != Absent && m(r) }
	}
	return []Cause{
		{
			Name: "absent natively: a feature the profile does not build (msgpack, uuid)",
			Why: "The block documents `rocket::serde::msgpack` or `rocket::serde::uuid`, compiled only with Rocket's `msgpack` or `uuid` feature. " +
				"cargo runs the crate with the profile's features (harnesses/deps: json, secrets, mtls), so these items and their doctests do not exist natively either; " +
				"the sandbox fails them for the same reason (unresolved import). Both sides agree the code is unavailable; " +
				"comparing them would take those features in the profile.",
			Match: absent(func(r Row) bool {
				return strings.HasSuffix(r.File, "serde/msgpack.rs") || strings.HasSuffix(r.File, "serde/uuid.rs")
			}),
		},
		{
			Name: "absent natively: macro docs that `crate::export!` drops on a stable toolchain",
			Why: "Rocket declares its macros (`msg!`, `json!`, `local_cache!`, `try_outcome!`, `relative!`, `TypedStream!`, …) inside `crate::export! { … }`. " +
				"rocket_codegen's `export!` re-emits the macro's attributes, its doc comments included, only under `cfg(all(nightly, doc))` and otherwise just re-exports it (rocket_codegen-0.5.1/src/bang/export.rs): " +
				"with Debian's stable rustdoc 1.96 these doc comments are not there, so `cargo test --doc` has no such doctest. Upstream tests them on nightly. " +
				"The sandbox reads them from the source and runs them; none is a disagreement about the block, so they are left out of the ratio.",
			Match: func(r Row) bool { return r.Native.Outcome == Absent },
		},
		{
			Name: "cargo's environment at compile time (`relative!`, `env!(\"CARGO_MANIFEST_DIR\")`)",
			Why: "`relative!(\"static\")` expands to `env!(\"CARGO_MANIFEST_DIR\")`, which cargo sets for every crate and rustdoc passes on to its doctests. " +
				"Issue 10 item 2 (cargo's environment in the sandbox's compile) closes this group: the block then compiles against the project's virtual root.",
			Match: judged(detail(`CARGO_MANIFEST_DIR`)),
		},
		{
			Name: "a crate Rocket depends on, not a dependency of the profile (`either`, `memchr`, `time`)",
			Why: "rustdoc gives a crate's doctests an `--extern` for every dependency and dev-dependency of that crate, and Rocket depends on `either`, `memchr` and `time` directly. " +
				"The sandbox's externs are the profile's direct dependencies (harnesses/deps/Cargo.toml), which name none of them. " +
				"Closing it would take adding them to the profile (a rebuild of the prepared profile).",
			Match: judged(detail("unresolved import `(either|memchr|time)`|can't find crate for `(either|memchr|time)`")),
		},
		{
			Name: "temporary files in the guest (`std::env::temp_dir()`, `TempFile::persist_to`)",
			Why: "The blocks persist a `TempFile` into `std::env::temp_dir()`, which std's WASI port does not implement: it panics \"not supported by WASI yet\" " +
				"(library/std/src/sys/paths/wasi.rs). Blocks that write into a directory of their own pass since the guest has a scratch directory (issue 10 item 3); " +
				"these would take a temp_dir std's WASI port can find.",
			Match: judged(func(r Row) bool {
				return strings.HasSuffix(r.File, "fs/temp_file.rs") && (strings.Contains(r.Sandbox.Detail, "WASI") || strings.Contains(r.Sandbox.Detail, "Tokio"))
			}),
		},
		{
			Name: "Rocket's platform-specific file-name rules (`cfg(unix)` / `cfg(not(unix))`)",
			Why: "`FileName::as_str` picks the characters it strips with `cfg(unix)` or `cfg(not(unix))`; wasm32-wasip1 is not unix, so the Windows set applies in the guest " +
				"and one of the block's assertions gets another answer than on Linux. Closing it would take a wasi arm with the unix rules in the patch of rocket (wasi-shims/patches).",
			Match: judged(func(r Row) bool { return strings.HasSuffix(r.File, "fs/file_name.rs") }),
		},
		{
			Name: "the secret-key check the wasm patch turns off",
			Why: "The block expects `Client::tracked` to refuse an all-zero `secret_key` in a non-debug profile (`ErrorKind::InsecureSecretKey`). " +
				"The patch of rocket for wasi-shims skips that check on wasi (a module can be given no key, and a generated one lives as long as the run; " +
				"wasi-shims/patches/rocket-0.5.1.patch, `Rocket::ignite`), so the guest ignites; natively the check refuses. A deliberate difference of the patch.",
			Match: judged(func(r Row) bool { return strings.HasSuffix(r.File, "config/secret_key.rs") }),
		},
	}
}
