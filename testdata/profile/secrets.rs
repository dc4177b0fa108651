// rocket::config::SecretKey and private cookies (feature `secrets`).
#[macro_use]
extern crate rocket;

use rocket::config::{Config, SecretKey};
use rocket::http::{Cookie, CookieJar};
use rocket::local::blocking::Client;

#[post("/login/<user>")]
fn login(user: &str, jar: &CookieJar<'_>) {
    jar.add_private(Cookie::new("user", user.to_string()));
}

#[get("/me")]
fn me(jar: &CookieJar<'_>) -> String {
    match jar.get_private("user") {
        Some(cookie) => format!("user {}", cookie.value()),
        None => "nobody".into(),
    }
}

fn main() {
    let key = SecretKey::from(&[7u8; 64]);
    println!("configured key provided: {}", key.is_provided());
    println!("generated key provided: {}", SecretKey::generate().unwrap().is_provided());

    let config = Config { secret_key: key, ..Config::default() };
    let rocket = rocket::custom(config).mount("/", routes![login, me]);
    let client = Client::tracked(rocket).unwrap();
    println!("before: {}", client.get("/me").dispatch().into_string().unwrap());
    client.post("/login/ferris").dispatch();
    let sealed = client.cookies().get("user").unwrap().value().to_string();
    println!("sealed value hides the name: {}", !sealed.contains("ferris"));
    println!("after: {}", client.get("/me").dispatch().into_string().unwrap());

    // rocket::build() with `secrets` and no configured key: the sandbox
    // generates one (natively a release build needs ROCKET_SECRET_KEY).
    let client = Client::tracked(rocket::build().mount("/", routes![login, me])).unwrap();
    client.post("/login/crab").dispatch();
    println!("default config: {}", client.get("/me").dispatch().into_string().unwrap());
}
