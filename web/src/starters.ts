// Starter code for each harness, and the requests a fresh mock or serve
// form starts with.
import type { Harness } from "./api";
import type { RequestRow } from "./requests";

export const starters: Record<Harness, string> = {
  program: `#[macro_use] extern crate rocket;
use rocket::{Build, Rocket};
use rocket::local::blocking::Client;

#[get("/hello/<name>")]
fn hello(name: &str) -> String {
    format!("Hello, {name}!")
}

fn rocket() -> Rocket<Build> {
    rocket::build().mount("/", routes![hello])
}

fn main() {
    let client = Client::tracked(rocket()).expect("a valid Rocket app");
    let response = client.get("/hello/world").dispatch();
    println!("{} {:?}", response.status(), response.into_string());
}
`,
  example: `# #[macro_use] extern crate rocket;
# use rocket::local::blocking::Client;
#[get("/")]
fn index() -> &'static str {
    "Hello, world!"
}

# let client = Client::tracked(rocket::build().mount("/", routes![index])).unwrap();
# assert_eq!(client.get("/").dispatch().into_string().unwrap(), "Hello, world!");
`,
  mock: `#[macro_use] extern crate rocket;
use rocket::http::{ContentType, CookieJar};

#[get("/hello/<name>")]
fn hello(name: &str, cookies: &CookieJar<'_>) -> String {
    cookies.add(("last", name.to_string()));
    format!("Hello, {name}!")
}

#[get("/last")]
fn last(cookies: &CookieJar<'_>) -> (ContentType, String) {
    let name = cookies.get("last").map(|c| c.value().to_string());
    (ContentType::JSON, format!("{{\\"last\\": {:?}}}", name.unwrap_or_default()))
}

#[launch]
fn rocket() -> _ {
    rocket::build().mount("/", routes![hello, last])
}
`,
  serve: `#[macro_use] extern crate rocket;
use rocket::response::content::RawHtml;

#[get("/")]
fn index() -> RawHtml<&'static str> {
    RawHtml("<h1>Hello from Rocket</h1><p>Served over a virtual socket.</p>")
}

#[post("/echo", data = "<body>")]
fn echo(body: String) -> String {
    body
}

#[launch]
fn rocket() -> _ {
    rocket::build().mount("/", routes![index, echo])
}
`,
  test: `#[macro_use] extern crate rocket;
use rocket::{Build, Rocket};

#[get("/hello/<name>")]
fn hello(name: &str) -> String {
    format!("Hello, {name}!")
}

fn rocket() -> Rocket<Build> {
    rocket::build().mount("/", routes![hello])
}

#[cfg(test)]
mod tests {
    use super::rocket;
    use rocket::http::Status;
    use rocket::local::blocking::Client;

    #[test]
    fn hello_greets_by_name() {
        let client = Client::tracked(rocket()).expect("a valid Rocket app");
        let response = client.get("/hello/tester").dispatch();
        assert_eq!(response.status(), Status::Ok);
        assert_eq!(response.into_string().unwrap(), "Hello, tester!");
    }

    #[test]
    fn unknown_path_is_404() {
        let client = Client::tracked(rocket()).expect("a valid Rocket app");
        let response = client.get("/nowhere").dispatch();
        println!("status: {}", response.status());
        assert_eq!(response.status(), Status::NotFound);
    }
}
`,
};

export const starterRequests: Record<"mock" | "serve", RequestRow[]> = {
  mock: [
    { method: "GET", uri: "/hello/there", headers: "", cookies: "", body: "" },
    { method: "GET", uri: "/last", headers: "Accept: application/json", cookies: "", body: "" },
  ],
  serve: [
    { method: "GET", uri: "/", headers: "", cookies: "", body: "" },
    { method: "POST", uri: "/echo", headers: "Content-Type: text/plain", cookies: "", body: "ping" },
  ],
};
