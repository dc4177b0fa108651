// rocket::serde::json (feature `json`): Json as data guard and responder.
#[macro_use]
extern crate rocket;

use rocket::http::ContentType;
use rocket::local::blocking::Client;
use rocket::serde::json::{json, Json, Value};
use rocket::serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
#[serde(crate = "rocket::serde")]
struct Task {
    id: u32,
    title: String,
    done: bool,
}

#[post("/tasks", data = "<task>")]
fn create(task: Json<Task>) -> Json<Task> {
    Json(Task { done: true, ..task.into_inner() })
}

#[get("/summary")]
fn summary() -> Value {
    json!({ "open": 2, "done": [1, 3] })
}

fn main() {
    let client = Client::tracked(rocket::build().mount("/", routes![create, summary])).unwrap();
    let response = client
        .post("/tasks")
        .header(ContentType::JSON)
        .body(r#"{"id": 7, "title": "write docs", "done": false}"#)
        .dispatch();
    println!("status: {}", response.status());
    let task: Task = response.into_json().unwrap();
    println!("task: {task:?}");
    println!("summary: {}", client.get("/summary").dispatch().into_string().unwrap());
}
