// A mid-size Rocket app for the benchmarks: ten routes with path and query
// parameters, a form, JSON in and out, managed state and a catcher.
#[macro_use]
extern crate rocket;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rocket::form::Form;
use rocket::serde::json::Json;
use rocket::State;
use serde::{Deserialize, Serialize};

struct Hits(AtomicU64);
struct Todos(Mutex<Vec<Todo>>);

#[derive(Clone, Serialize, Deserialize)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
}

#[derive(FromForm)]
struct NewUser<'r> {
    name: &'r str,
    age: u8,
    #[field(default = false)]
    admin: bool,
}

#[get("/")]
fn index(hits: &State<Hits>) -> String {
    format!("hits: {}", hits.0.fetch_add(1, Ordering::Relaxed) + 1)
}

#[get("/hello/<name>?<lang>")]
fn hello(name: &str, lang: Option<&str>) -> String {
    match lang {
        Some("fr") => format!("Bonjour, {name}!"),
        _ => format!("Hello, {name}!"),
    }
}

#[get("/add/<a>/<b>")]
fn add(a: i64, b: i64) -> String {
    (a + b).to_string()
}

#[post("/users", data = "<user>")]
fn create_user(user: Form<NewUser<'_>>) -> String {
    format!("{} ({}){}", user.name, user.age, if user.admin { " [admin]" } else { "" })
}

#[get("/todos")]
fn list(todos: &State<Todos>) -> Json<Vec<Todo>> {
    Json(todos.0.lock().unwrap().clone())
}

#[post("/todos", data = "<todo>")]
fn push(todo: Json<Todo>, todos: &State<Todos>) -> Json<Todo> {
    todos.0.lock().unwrap().push(todo.0.clone());
    todo
}

#[get("/todos/<id>")]
fn get_todo(id: u64, todos: &State<Todos>) -> Option<Json<Todo>> {
    todos.0.lock().unwrap().iter().find(|t| t.id == id).cloned().map(Json)
}

#[delete("/todos/<id>")]
fn delete_todo(id: u64, todos: &State<Todos>) -> &'static str {
    todos.0.lock().unwrap().retain(|t| t.id != id);
    "deleted"
}

#[get("/search?<q>&<limit>")]
fn search(q: &str, limit: Option<usize>) -> String {
    q.split_whitespace().take(limit.unwrap_or(3)).collect::<Vec<_>>().join(",")
}

#[get("/teapot")]
fn teapot() -> rocket::http::Status {
    rocket::http::Status::ImATeapot
}

#[catch(404)]
fn not_found(req: &rocket::Request<'_>) -> String {
    format!("no route for {}", req.uri())
}

#[launch]
fn rocket() -> _ {
    rocket::build()
        .manage(Hits(AtomicU64::new(0)))
        .manage(Todos(Mutex::new(Vec::new())))
        .mount(
            "/",
            routes![index, hello, add, create_user, list, push, get_todo, delete_todo, search, teapot],
        )
        .register("/", catchers![not_found])
}
