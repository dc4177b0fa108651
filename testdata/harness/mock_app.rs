#[macro_use]
extern crate rocket;

use std::sync::atomic::{AtomicUsize, Ordering};

use rocket::fairing::AdHoc;
use rocket::form::Form;
use rocket::http::{CookieJar, Status};
use rocket::serde::json::Json;
use rocket::{Request, State};
use serde::{Deserialize, Serialize};

struct Hits(AtomicUsize);

#[derive(FromForm)]
struct Login<'r> {
    user: &'r str,
    age: u8,
}

#[derive(Deserialize, Serialize)]
struct Task {
    title: String,
    done: bool,
}

#[get("/hello/<name>?<excited>")]
fn hello(name: &str, excited: Option<bool>, hits: &State<Hits>) -> String {
    hits.0.fetch_add(1, Ordering::Relaxed);
    let mark = if excited.unwrap_or(false) { "!" } else { "." };
    format!("Hello, {name}{mark}")
}

#[post("/login", data = "<form>")]
fn login(form: Form<Login<'_>>, jar: &CookieJar<'_>) -> String {
    jar.add(("user", form.user.to_string()));
    format!("{} is {}", form.user, form.age)
}

#[get("/whoami")]
fn whoami(jar: &CookieJar<'_>) -> Option<String> {
    jar.get("user").map(|c| format!("you are {}", c.value()))
}

#[post("/tasks", format = "json", data = "<task>")]
fn add_task(task: Json<Task>) -> Json<Task> {
    Json(Task { title: task.title.to_uppercase(), done: !task.done })
}

#[get("/hits")]
fn hits(hits: &State<Hits>) -> String {
    hits.0.load(Ordering::Relaxed).to_string()
}

#[get("/fail")]
fn fail() -> Status {
    Status::InternalServerError
}

#[get("/bytes")]
fn bytes() -> Vec<u8> {
    vec![0xde, 0xad, 0xbe, 0xef]
}

#[get("/panic")]
fn panic_route() -> &'static str {
    panic!("handler gave up")
}

#[catch(404)]
fn not_found(req: &Request<'_>) -> String {
    format!("nothing at {}", req.uri())
}

#[catch(500)]
fn server_error() -> &'static str {
    "custom 500"
}

#[launch]
fn rocket() -> _ {
    println!("building the app");
    rocket::build()
        .manage(Hits(AtomicUsize::new(0)))
        .mount("/", routes![hello, login, whoami, add_task, hits, fail, bytes, panic_route])
        .register("/", catchers![not_found, server_error])
        .attach(AdHoc::on_response("X-Served-By", |_, res| {
            Box::pin(async move {
                res.set_raw_header("X-Served-By", "fairing");
            })
        }))
}
