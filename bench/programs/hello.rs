#[macro_use] extern crate rocket;
use rocket::{Rocket, Build};

#[get("/")]
fn hello() -> &'static str { "Hello, world!" }

fn rocket() -> Rocket<Build> { rocket::build().mount("/", routes![hello]) }

fn main() {
    use rocket::local::blocking::Client;
    let client = Client::tracked(rocket()).unwrap();
    let response = client.get("/").dispatch();
    println!("{:?}", response.into_string());
}
