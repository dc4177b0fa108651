// attack: smuggle compiler flags through a string argument the harness does read
// expect: invalid_request
// args: {"edition": "2021 -C linker=/bin/sh @/etc/passwd"}
fn main() {}
