// Package toolchain owns everything that turns a bare machine's Debian
// toolchain into what a stub is compiled against: it checks the compiler
// and its std source agree, builds the wasm32-wasip1 standard library once
// into a private sysroot, applies the wasi-shims patches to Rocket's
// crates.io sources, builds the harness dependency profile once, and
// records the result in a Manifest the compiler reads. Each step is
// idempotent and skipped when its inputs have not changed.
package toolchain
