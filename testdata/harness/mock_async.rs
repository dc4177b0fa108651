use rocket::{get, routes, Build, Rocket};

#[get("/ready")]
fn ready() -> &'static str {
    "built asynchronously"
}

async fn rocket() -> Rocket<Build> {
    rocket::build().mount("/", routes![ready])
}
