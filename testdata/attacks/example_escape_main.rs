// attack: close the example harness's generated `fn main` early so the failing assertion lands in a function nobody calls
// expect: compile_error
// harness: example
assert!(false, "this doctest fails");
}
fn never_called() {
