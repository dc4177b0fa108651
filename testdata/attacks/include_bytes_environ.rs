// attack: read the compiler's environment (the server's, if leaked) with include_bytes!; it holds cargo's variables for the crate and SQLX_OFFLINE=true (toolchain/build.go) and nothing else, or const evaluation fails
// expect: ok
const E: &[u8] = include_bytes!("/proc/self/environ");

// Whether e[i..] starts with p.
const fn starts_with(e: &[u8], i: usize, p: &[u8]) -> bool {
    if i + p.len() > e.len() {
        return false;
    }
    let mut j = 0;
    while j < p.len() {
        if e[i + j] != p[j] {
            return false;
        }
        j += 1;
    }
    true
}

// Every NUL-terminated entry starts with "CARGO_" or is exactly
// "SQLX_OFFLINE=true" (the one variable the service sets itself: sqlx's
// macros must never try to reach a database).
const fn only_cargo(e: &[u8]) -> bool {
    let mut i = 0;
    let mut start = true;
    while i < e.len() {
        if start
            && !starts_with(e, i, b"CARGO_")
            && !starts_with(e, i, b"SQLX_OFFLINE=true\0")
        {
            return false;
        }
        start = e[i] == 0;
        i += 1;
    }
    true
}
const _: () = assert!(only_cargo(E), "the compiler's environment holds more than cargo's variables");
fn main() { println!("{}", String::from_utf8_lossy(E)); }
