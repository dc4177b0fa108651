// attack: flood the compiler's diagnostics output
// expect: compile_error|output_limit
macro_rules! e { ($($x:tt)*) => { $( let _: u32 = stringify!($x); )* }; }
macro_rules! e8 { () => { e!(a b c d e f g h i j k l m n o p q r s t u v w x y z); }; }
fn main() {
    e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!();
    e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!();
    e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!();
    e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!();
    e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!();
    e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!(); e8!();
}
