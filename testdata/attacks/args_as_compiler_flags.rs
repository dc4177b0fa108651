// attack: args that try to become compiler flags; unknown args are refused before compiling
// expect: invalid_request
// args: {"flags": ["--extern", "evil=/etc/passwd", "-C", "linker=/bin/sh", "-L", "/", "@/etc/passwd"]}
fn main() {}
