// attack: import a provided host function with another signature, so the module cannot be linked
// expect: runtime_error
#[link(wasm_import_module = "sandbox_vsock")]
extern "C" {
    fn accept(a: i64, b: f64) -> i64;
}
fn main() {
    println!("{}", unsafe { accept(1, 2.0) });
}
