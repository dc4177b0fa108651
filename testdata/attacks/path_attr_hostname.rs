// attack: compile a host file as a module with #[path]
// expect: compile_error
#[path = "/etc/hostname"]
mod m;
fn main() {}
