// attack: read the compiler's environment (the server's, if leaked) with include_bytes!; it holds cargo's variables for the crate and nothing else, or const evaluation fails
// expect: ok
const E: &[u8] = include_bytes!("/proc/self/environ");
// Every NUL-terminated entry starts with "CARGO_".
const fn only_cargo(e: &[u8]) -> bool {
    let p = b"CARGO_";
    let mut i = 0;
    let mut start = true;
    while i < e.len() {
        if start {
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
        }
        start = e[i] == 0;
        i += 1;
    }
    true
}
const _: () = assert!(only_cargo(E), "the compiler's environment holds more than cargo's variables");
fn main() { println!("{}", String::from_utf8_lossy(E)); }
