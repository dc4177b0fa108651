#[macro_use] extern crate rocket;

use rocket::serde::json::Json;
use serde::Deserialize;

#[derive(Deserialize)]
struct Greeting {
    name: String,
}

#[get("/hello/<name>?<excited>")]
fn hello(name: &str, excited: Option<bool>) -> String {
    let mark = if excited.unwrap_or(false) { "!" } else { "." };
    format!("Hello, {name}{mark}")
}

#[post("/greet", data = "<g>")]
fn greet(g: Json<Greeting>) -> String {
    format!("Greetings, {}", g.name)
}

#[launch]
fn rocket() -> _ {
    rocket::build().mount("/", routes![hello, greet])
}
