// rocket_db_pools (sqlx_sqlite): the Database derive, a Connection guard
// and a query. Configuration comes from figment, not Rocket.toml.
#[macro_use]
extern crate rocket;

use rocket::figment::Figment;
use rocket::local::blocking::Client;
use rocket_db_pools::sqlx::{self, Row};
use rocket_db_pools::{Connection, Database};

#[derive(Database)]
#[database("notes")]
struct Notes(sqlx::SqlitePool);

#[get("/answer")]
async fn answer(mut db: Connection<Notes>) -> String {
    let row = sqlx::query("SELECT 6 * 7 AS answer").fetch_one(&mut **db).await.unwrap();
    format!("answer {}", row.get::<i64, _>("answer"))
}

fn main() {
    let figment: Figment = rocket::Config::figment()
        .merge(("databases.notes.url", "sqlite::memory:"))
        .merge(("databases.notes.max_connections", 1));
    let rocket = rocket::custom(figment).attach(Notes::init()).mount("/", routes![answer]);
    println!("database: {}", Notes::NAME);
    match Client::tracked(rocket) {
        Ok(client) => println!("{}", client.get("/answer").dispatch().into_string().unwrap()),
        Err(e) => println!("ignite failed: {e}"),
    }
}
