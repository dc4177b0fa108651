// Native-vs-wasm workload: ignite a Rocket app with a local client, then
// dispatch N requests (N read from stdin) across its routes. Timing is
// taken from outside (process wall time natively, the run's duration in
// wazero): inside the sandbox the clock is virtual.
#[macro_use]
extern crate rocket;

use rocket::local::blocking::Client;
use rocket::serde::json::Json;
use serde::{Deserialize, Serialize};
use std::io::Read;

#[derive(Serialize, Deserialize)]
struct Item {
    id: u64,
    name: String,
}

#[get("/hello/<name>")]
fn hello(name: &str) -> String {
    format!("Hello, {name}!")
}

#[get("/add/<a>/<b>")]
fn add(a: i64, b: i64) -> String {
    (a + b).to_string()
}

#[post("/echo", data = "<item>")]
fn echo(item: Json<Item>) -> Json<Item> {
    item
}

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    let n: u64 = input.trim().parse().unwrap_or(0);

    let client = Client::tracked(rocket::build().mount("/", routes![hello, add, echo])).unwrap();
    let mut total = 0usize;
    for i in 0..n {
        let body = match i % 3 {
            0 => client.get(format!("/hello/user{i}")).dispatch().into_string(),
            1 => client.get(format!("/add/{i}/{i}")).dispatch().into_string(),
            _ => client
                .post("/echo")
                .header(rocket::http::ContentType::JSON)
                .body(format!(r#"{{"id": {i}, "name": "n{i}"}}"#))
                .dispatch()
                .into_string(),
        };
        total += body.map(|b| b.len()).unwrap_or(0);
    }
    println!("{n} requests, {total} bytes");
}
