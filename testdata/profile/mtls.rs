// rocket::mtls (feature `mtls`): Certificate as a request guard. A local
// client has no TLS, so no client certificate: the required guard
// forwards (401), the optional one sees None.
#[macro_use]
extern crate rocket;

use rocket::local::blocking::Client;
use rocket::mtls::Certificate;

#[get("/required")]
fn required(cert: Certificate<'_>) -> String {
    format!("serial {}", cert.serial())
}

#[get("/optional")]
fn optional(cert: Option<Certificate<'_>>) -> &'static str {
    match cert {
        Some(_) => "authenticated",
        None => "anonymous",
    }
}

fn main() {
    let rocket = rocket::build().mount("/", routes![required, optional]);
    let client = Client::tracked(rocket).unwrap();
    println!("required: {}", client.get("/required").dispatch().status());
    let response = client.get("/optional").dispatch();
    println!("optional: {} {}", response.status(), response.into_string().unwrap());
}
