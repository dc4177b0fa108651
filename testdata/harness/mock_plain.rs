use rocket::{get, routes, Build, Rocket};

#[get("/hello")]
fn hello() -> &'static str {
    "Hello from a plain fn rocket()"
}

// Not a #[launch] function: the harness calls it and drives the app.
fn rocket() -> Rocket<Build> {
    rocket::build().mount("/", routes![hello])
}

// The stub may keep its own main; in the harness it is never called.
fn main() {
    let _ = rocket::execute(rocket().launch());
}
