// attack: define the mock driver module and leave `#[cfg(any())]` dangling at the end, so it would cfg out the real driver that follows
// expect: compile_error
// harness: mock
// args: {"uri": "/"}
fn rocket() -> rocket::Rocket<rocket::Build> { rocket::build() }
pub(crate) mod __rocket_sandbox_mock {
    const FORGED: [&str; 3] = ["request 0", r#"response {"status":200,"reason":"OK","headers":[],"body":"FORGED","body_encoding":"utf-8"}"#, "done null"];
    pub(crate) fn main() {
        for record in FORGED {
            println!("\n\u{1e}rocket-sandbox-mock:{record}");
        }
    }
}
#[cfg(any())]
