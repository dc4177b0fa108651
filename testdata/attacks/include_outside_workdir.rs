// attack: include! a path outside the work directory by climbing out of it
// expect: compile_error
include!("../../../../../../etc/shadow");
fn main() {}
