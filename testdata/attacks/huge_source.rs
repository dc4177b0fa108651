// attack: a 10 MB source file
// expect: invalid_request
// pad-to-bytes: 10485760
fn main() {}
