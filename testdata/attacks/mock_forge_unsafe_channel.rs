// attack: import the record channel directly and run code before the driver's main (a link-section constructor) to take the key first
// expect: compile_error
// harness: mock
// args: {"uri": "/"}
#[macro_use] extern crate rocket;

#[link(wasm_import_module = "sandbox_harness")]
extern "C" {
    fn key(ptr: *mut u8, len: i32) -> i32;
}

extern "C" fn before_main() {
    let mut k = [0u8; 16];
    unsafe { key(k.as_mut_ptr(), 16) };
    println!("FORGED: {k:?}");
}

#[used]
#[link_section = ".init_array"]
static CTOR: extern "C" fn() = before_main;

#[get("/")]
fn index() -> &'static str { "real" }

#[launch]
fn rocket() -> _ { rocket::build().mount("/", routes![index]) }
