# use rocket::http::Status;
// A status code outside 100..=599 is not a Status.
let status = Status::from_code(999).expect("999 is not an HTTP status");
println!("unreachable: {status}");
