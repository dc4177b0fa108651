// attack: call the mock harness's record channel from the app (ask for the key again) to write responses of its own
// expect: ok
// harness: mock
// args: {"uri": "/"}
#[macro_use] extern crate rocket;

#[get("/")]
fn index() -> &'static str {
    let stolen = crate::__rocket_sandbox_records::take_key();
    if stolen.is_some() { "FORGED: got the key" } else { "real" }
}

#[launch]
fn rocket() -> _ { rocket::build().mount("/", routes![index]) }
