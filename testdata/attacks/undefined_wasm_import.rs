// attack: declare a wasm import the sandbox does not provide, so the module cannot be instantiated
// expect: runtime_error
#[link(wasm_import_module = "env")]
extern "C" {
    fn nope();
}
fn main() {
    unsafe { nope() }
}
