// A database-backed app: rocket_db_pools (sqlx, SQLite) on a file in the
// run's scratch layer, its table made by sqlx's migrate! from the
// project's migrations/ at compile time.
#[macro_use]
extern crate rocket;

use rocket::fairing::{self, AdHoc};
use rocket::serde::json::Json;
use rocket::{Build, Rocket};
use rocket_db_pools::sqlx::{self, Row};
use rocket_db_pools::{Connection, Database};

#[derive(Database)]
#[database("notes")]
struct Notes(sqlx::SqlitePool);

#[post("/notes", data = "<text>")]
async fn add(mut db: Connection<Notes>, text: String) -> Result<String, String> {
    let row = sqlx::query("INSERT INTO notes (text) VALUES (?) RETURNING id")
        .bind(&text)
        .fetch_one(&mut **db)
        .await
        .map_err(|e| e.to_string())?;
    Ok(format!("stored {}", row.get::<i64, _>("id")))
}

#[get("/notes")]
async fn list(mut db: Connection<Notes>) -> Result<Json<Vec<(i64, String)>>, String> {
    let rows = sqlx::query("SELECT id, text FROM notes ORDER BY id")
        .fetch_all(&mut **db)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Json(rows.iter().map(|r| (r.get("id"), r.get("text"))).collect()))
}

async fn migrate(rocket: Rocket<Build>) -> fairing::Result {
    match Notes::fetch(&rocket) {
        Some(db) => match sqlx::migrate!("./migrations").run(&**db).await {
            Ok(()) => Ok(rocket),
            Err(e) => {
                error!("migrations: {e}");
                Err(rocket)
            }
        },
        None => Err(rocket),
    }
}

#[launch]
fn rocket() -> _ {
    rocket::build()
        .attach(Notes::init())
        .attach(AdHoc::try_on_ignite("migrations", migrate))
        .mount("/", routes![add, list])
}
