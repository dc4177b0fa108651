// attack: read a secret from the server's environment with option_env!; a None fails const evaluation
// expect: compile_error
const SECRET: &str = match option_env!("AWS_SECRET_ACCESS_KEY") {
    Some(v) => v,
    None => panic!("the compiler's environment is clean"),
};
fn main() { println!("{SECRET}"); }
