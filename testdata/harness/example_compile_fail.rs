# #![allow(dead_code)]
# use rocket::http::Status;
let code: u16 = Status::NotFound;
