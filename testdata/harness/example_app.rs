# #![allow(dead_code)]
# #[macro_use] extern crate rocket;
# use rocket::local::blocking::Client;
# use rocket::http::{ContentType, Status};
use std::sync::atomic::{AtomicUsize, Ordering};

use rocket::fairing::AdHoc;
use rocket::form::Form;
use rocket::serde::json::Json;
use rocket::State;

struct Visits(AtomicUsize);

#[derive(FromForm)]
struct Signup<'r> {
    name: &'r str,
    age: u8,
}

#[derive(serde::Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

#[get("/hello/<name>?<excited>")]
fn hello(name: &str, excited: bool, visits: &State<Visits>) -> String {
    visits.0.fetch_add(1, Ordering::Relaxed);
    format!("Hello, {name}{}", if excited { "!" } else { "." })
}

#[post("/signup", data = "<form>")]
fn signup(form: Form<Signup<'_>>) -> String {
    format!("{} ({})", form.name, form.age)
}

#[post("/sum", format = "json", data = "<p>")]
fn sum(p: Json<Point>) -> String {
    (p.x + p.y).to_string()
}

#[get("/visits")]
fn visits(visits: &State<Visits>) -> String {
    visits.0.load(Ordering::Relaxed).to_string()
}

#[catch(404)]
fn not_found() -> &'static str {
    "no such page"
}

#[launch]
fn rocket() -> _ {
    rocket::build()
        .manage(Visits(AtomicUsize::new(0)))
        .mount("/", routes![hello, signup, sum, visits])
        .register("/", catchers![not_found])
        .attach(AdHoc::on_response("Powered-By", |_, res| {
            Box::pin(async move {
                res.set_raw_header("X-Powered-By", "a fairing");
            })
        }))
}

# let client = Client::tracked(rocket())?;
let response = client.get("/hello/Ferris?excited=true").dispatch();
# assert_eq!(response.status(), Status::Ok);
# assert_eq!(response.headers().get_one("X-Powered-By"), Some("a fairing"));
println!("hello: {}", response.into_string().unwrap());
# let form = client.post("/signup").header(ContentType::Form).body("name=Ferris&age=7").dispatch();
# println!("signup: {}", form.into_string().unwrap());
# let json = client.post("/sum").header(ContentType::JSON).body(r#"{"x": 40, "y": 2}"#).dispatch();
# println!("sum: {}", json.into_string().unwrap());
# println!("visits: {}", client.get("/visits").dispatch().into_string().unwrap());
# let missing = client.get("/nope").dispatch();
# println!("missing: {} {}", missing.status().code, missing.into_string().unwrap());
# Ok::<(), rocket::Error>(())
