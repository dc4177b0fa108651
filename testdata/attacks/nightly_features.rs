// attack: unlock unstable compiler features (RUSTC_BOOTSTRAP is not in the compiler's environment)
// expect: compile_error
#![feature(rustc_attrs)]
fn main() {}
