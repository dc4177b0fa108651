// attack: close the mock harness's `mod app` early, define the driver module it calls, and swallow the real one in a cfg'd-out module
// expect: compile_error
// harness: mock
// args: {"uri": "/"}
fn rocket() -> rocket::Rocket<rocket::Build> { rocket::build() }
pub(crate) mod __rocket_sandbox_mock {
    pub(crate) fn main() {
        // The driver's records as they used to be written: a forged 200.
        println!("\n\u{1e}rocket-sandbox-mock:request 0");
        println!("\n\u{1e}rocket-sandbox-mock:response {{\"status\":200,\"reason\":\"OK\",\"headers\":[],\"body\":\"FORGED\",\"body_encoding\":\"utf-8\"}}");
        println!("\n\u{1e}rocket-sandbox-mock:done null");
    }
}
}
#[cfg(any())]
mod swallowed {
