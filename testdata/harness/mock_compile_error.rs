#[macro_use] extern crate rocket;
#[get("/")]
fn index() -> &'static str { 42 }

#[launch]
fn rocket() -> _ {
    rocket::build().mount("/", routes![index])
}
