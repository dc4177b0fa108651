// A Rocket app over binary files sent with the project (e2e
// binfiles_test.go): FileServer answers static/'s bytes as they were
// sent, and a SQLite database sent as a file (db/notes.sqlite) is the
// run's own writable copy, read and written through rusqlite.
#[macro_use]
extern crate rocket;

use rocket::fs::{relative, FileServer};
use rocket_sync_db_pools::{database, rusqlite};

#[database("notes")]
struct Db(rusqlite::Connection);

#[get("/notes")]
async fn notes(db: Db) -> String {
    db.run(|conn| {
        let mut stmt = conn.prepare("SELECT id, text FROM notes ORDER BY id").unwrap();
        let rows = stmt
            .query_map([], |r| Ok(format!("{}:{}", r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .unwrap();
        rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("\n")
    })
    .await
}

#[post("/notes", data = "<text>")]
async fn add(db: Db, text: String) -> String {
    db.run(move |conn| conn.execute("INSERT INTO notes (text) VALUES (?1)", [text]).unwrap().to_string())
        .await
}

#[launch]
fn rocket() -> _ {
    rocket::build()
        .attach(Db::fairing())
        .mount("/", routes![notes, add])
        .mount("/static", FileServer::from(relative!("static")))
}
