// The guide's TCP streaming example (06-responses): tokio's
// TcpStream::connect compiles on wasm32-wasip1 (patched tokio) and fails
// when called, as std's does there; natively nothing listens on 9999.
// Either way the route's io::Error becomes a 500.
#[macro_use]
extern crate rocket;

use std::io;
use std::net::SocketAddr;

use rocket::local::blocking::Client;
use rocket::response::stream::ReaderStream;
use rocket::tokio::net::TcpStream;

#[get("/stream")]
async fn stream() -> io::Result<ReaderStream![TcpStream]> {
    let addr = SocketAddr::from(([127, 0, 0, 1], 9999));
    let stream = TcpStream::connect(addr).await?;
    Ok(ReaderStream::one(stream))
}

fn main() {
    let client = Client::tracked(rocket::build().mount("/", routes![stream])).unwrap();
    println!("stream: {}", client.get("/stream").dispatch().status());
}
