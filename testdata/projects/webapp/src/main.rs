// A Rocket app that reads its own files at run time: templates through
// the Template fairing, static files at relative!("static") and at a
// relative path, its configuration from Rocket.toml through figment, and
// uploads it writes to upload/ (FileServer, NamedFile and TempFile: the
// fileserver project).
#[macro_use]
extern crate rocket;

use rocket::fs::relative;
use rocket::serde::Serialize;
use rocket::State;
use rocket_dyn_templates::Template;

#[derive(Serialize)]
#[serde(crate = "rocket::serde")]
struct Page<'a> {
    name: &'a str,
}

#[get("/")]
fn index() -> Template {
    Template::render("index", Page { name: "Ferris" })
}

#[get("/static/<name>")]
fn static_file(name: &str) -> std::io::Result<String> {
    std::fs::read_to_string(std::path::Path::new(relative!("static")).join(name))
}

#[get("/relative")]
fn relative_path() -> std::io::Result<String> {
    std::fs::read_to_string("static/hello.txt")
}

struct Greeting(String);

#[get("/config")]
fn config(greeting: &State<Greeting>) -> String {
    greeting.0.clone()
}

#[post("/upload/<name>", data = "<body>")]
fn upload(name: &str, body: String) -> std::io::Result<String> {
    let path = std::path::Path::new(relative!("upload")).join(name);
    std::fs::write(&path, body.as_bytes())?;
    std::fs::read_to_string(&path)
}

#[get("/overwrite")]
fn overwrite() -> String {
    match std::fs::write("static/hello.txt", "changed") {
        Ok(()) => "written".into(),
        Err(e) => format!("refused: {}", e.kind()),
    }
}

#[get("/host")]
fn host() -> String {
    format!("{}", std::fs::read_to_string("/etc/passwd").is_ok())
}

#[launch]
fn rocket() -> _ {
    let rocket = rocket::build();
    let greeting: String = rocket.figment().extract_inner("greeting").unwrap_or_else(|_| "none".into());
    rocket
        .manage(Greeting(greeting))
        .mount("/", routes![index, static_file, relative_path, config, upload, overwrite, host])
        .attach(Template::fairing())
}
