// A Rocket app whose file work goes through tokio::fs, that is tokio's
// blocking pool: FileServer, NamedFile and an uploaded TempFile persisted
// into upload/ (wasi-shims/README.md, the tokio patch).
#[macro_use]
extern crate rocket;

use rocket::fs::{relative, FileServer, NamedFile, TempFile};

#[get("/named")]
async fn named() -> Option<NamedFile> {
    NamedFile::open("static/hello.txt").await.ok()
}

#[post("/upload/<name>", data = "<file>")]
async fn upload(name: &str, mut file: TempFile<'_>) -> std::io::Result<String> {
    let path = std::path::Path::new(relative!("upload")).join(name);
    file.persist_to(&path).await?;
    rocket::tokio::fs::read_to_string(&path).await
}

#[get("/blocking")]
async fn blocking() -> String {
    rocket::tokio::task::spawn_blocking(|| 6 * 7).await.unwrap().to_string()
}

#[launch]
fn rocket() -> _ {
    rocket::build()
        .mount("/", routes![named, upload, blocking])
        .mount("/files", FileServer::from(relative!("static")))
}
