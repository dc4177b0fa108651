// attack: read the compiler's environment (the server's, if leaked) with include_bytes!; an empty one fails const evaluation
// expect: compile_error
const E: &[u8] = include_bytes!("/proc/self/environ");
const _: () = assert!(!E.is_empty(), "the compiler's environment is empty: nothing to steal");
fn main() { println!("{}", String::from_utf8_lossy(E)); }
