// attack: make the linker pull in a host file as a library
// expect: compile_error
#[link(name = "/etc/passwd", kind = "static")]
extern "C" {
    fn f();
}
fn main() { unsafe { f() } }
