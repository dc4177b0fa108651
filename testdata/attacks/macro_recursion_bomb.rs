// attack: a macro that doubles its input on every expansion, to exhaust the compiler's memory
// expect: compile_error|memory_limit|timeout
#![recursion_limit = "1000000"]
macro_rules! bomb {
    ($($t:tt)*) => { bomb!($($t)* $($t)*); };
}
bomb!(x);
fn main() {}
