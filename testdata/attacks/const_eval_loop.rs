// attack: an endless loop in const evaluation
// expect: compile_error|timeout
const X: u64 = {
    let mut i = 0u64;
    loop {
        i = i.wrapping_add(1);
    }
};
fn main() { println!("{X}"); }
