# #[macro_use] extern crate rocket;
#[get("/")]
fn index() -> &'static str {
    "never served"
}

// Running this would never end: no_run only compiles it.
loop {
    std::hint::spin_loop();
}
