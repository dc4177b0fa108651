// attack: escape through /proc/1/root, a symlink to another process's root
// expect: compile_error
const P: &str = include_str!("/proc/1/root/etc/passwd");
fn main() { println!("{P}"); }
