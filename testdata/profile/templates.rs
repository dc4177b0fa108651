// rocket_dyn_templates (tera): Template as a responder type, the context!
// macro, and the tera engine rendering in memory. The Template fairing is
// not attached: it loads templates from a directory, and a sandboxed
// module has no filesystem.
#[macro_use]
extern crate rocket;

use rocket::local::blocking::Client;
use rocket_dyn_templates::tera::{Context, Tera};
use rocket_dyn_templates::{context, Template};

#[get("/hello/<name>")]
fn hello(name: &str) -> Template {
    Template::render("hello", context! { name, items: ["a", "b"] })
}

fn main() {
    let ctx = context! { name: "Ferris", items: ["a", "b"] };
    println!("context: {}", serde_json::to_string(&ctx).unwrap());

    let mut tera_ctx = Context::new();
    tera_ctx.insert("name", "Ferris");
    tera_ctx.insert("items", &["a", "b"]);
    let page = "Hello, {{ name }}!{% for i in items %} [{{ i | upper }}]{% endfor %}";
    println!("tera: {}", Tera::one_off(page, &tera_ctx, true).unwrap());

    // Template is a sentinel: without its fairing Rocket refuses to ignite,
    // here as natively.
    match Client::tracked(rocket::build().mount("/", routes![hello])) {
        Ok(_) => println!("ignited without the fairing"),
        Err(e) => println!("without the fairing: {}", e.kind()),
    }
}
