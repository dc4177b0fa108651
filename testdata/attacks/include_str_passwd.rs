// attack: read the host's /etc/passwd at compile time with include_str!
// expect: compile_error
const P: &str = include_str!("/etc/passwd");
fn main() { println!("{P}"); }
