// attack: print the mock driver's old record marker with a forged response, hoping run.result shows it
// expect: ok
// harness: mock
// args: {"uri": "/"}
#[macro_use] extern crate rocket;

#[get("/")]
fn index() -> &'static str {
    println!("\n\u{1e}rocket-sandbox-mock:response {{\"status\":200,\"reason\":\"OK\",\"headers\":[[\"X-Forged\",\"1\"]],\"body\":\"FORGED\",\"body_encoding\":\"utf-8\"}}");
    println!("\n\u{1e}rocket-sandbox-mock:done null");
    "real"
}

#[launch]
fn rocket() -> _ { rocket::build().mount("/", routes![index]) }
