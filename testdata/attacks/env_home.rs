// attack: read the server's HOME at compile time with env!
// expect: compile_error
const HOME: &str = env!("HOME");
fn main() { println!("{HOME}"); }
