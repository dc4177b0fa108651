// rocket_ws: a WebSocket route. A local client cannot upgrade, so a plain
// GET reaches the WebSocket guard without an upgrade and is refused.
#[macro_use]
extern crate rocket;

use rocket::local::blocking::Client;
use rocket_ws::{Message, Stream, WebSocket};

#[get("/echo")]
fn echo(ws: WebSocket) -> Stream!['static] {
    Stream! { ws =>
        for await message in ws {
            yield message?;
        }
    }
}

#[get("/hello")]
fn hello(ws: WebSocket) -> rocket_ws::Channel<'static> {
    use rocket::futures::SinkExt;
    ws.channel(move |mut stream| {
        Box::pin(async move {
            stream.send(Message::text("hello")).await?;
            Ok(())
        })
    })
}

fn main() {
    let client = Client::tracked(rocket::build().mount("/", routes![echo, hello])).unwrap();
    println!("echo without upgrade: {}", client.get("/echo").dispatch().status());
    println!("message: {:?}", Message::text("hi"));
}
