// attack: compiler-flag-looking args arrive as stdin data only, and the guest cannot open the named file
// expect: ok
// args: {"stdin": "@/etc/passwd --extern x=/etc/passwd -C linker=/bin/sh"}
use std::io::Read;
fn main() {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s).unwrap();
    println!("stdin: {s}");
    println!("open: {:?}", std::fs::read_to_string("/etc/passwd").map(|_| "LEAKED"));
}
