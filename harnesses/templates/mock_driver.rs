/// The mock harness's driver (trusted code, appended inside the stub's
/// module so it may call the stub's private `rocket()`). It reads the
/// requests as JSON on stdin, dispatches them in order through one tracked
/// local client (so cookies carry from one request to the next) and reports
/// each step as one record on the host's record channel, written as soon as
/// it happens: a panic aborts the module on wasm, and what was reported
/// before stays. stdout is the app's alone.
///
/// It asks for the run's record key before any of the stub's code runs, and
/// no record is believed without it (runtime/record.go). Every macro it uses
/// is named by its path: a `macro_rules!` of the stub above would otherwise
/// be in scope here.
pub(crate) mod __rocket_sandbox_mock {
    use ::rocket::http::{Cookie, Header, Method};
    use ::rocket::local::blocking::Client;
    use ::rocket::serde::json::serde_json::{self, Value};
    use ::rocket::{Build, Rocket};
    use ::std::cell::Cell;
    use ::std::future::Future;
    use ::std::io::Read;

    use crate::__rocket_sandbox_records::Key;

    /// Holds what the stub's `rocket()` returned: a `Rocket<Build>`, or a
    /// future of one for `async fn rocket()`. The two traits below pick the
    /// right conversion by method resolution (autoref specialization), so
    /// both signatures compile without the harness reading the stub.
    pub struct Built<T>(Cell<Option<T>>);

    pub trait FromSync {
        fn into_rocket(&self) -> Rocket<Build>;
    }

    impl FromSync for Built<Rocket<Build>> {
        fn into_rocket(&self) -> Rocket<Build> {
            self.0.take().expect("the app is built once")
        }
    }

    pub trait FromAsync {
        fn into_rocket(&self) -> Rocket<Build>;
    }

    impl<F: Future<Output = Rocket<Build>> + Send> FromAsync for &Built<F> {
        fn into_rocket(&self) -> Rocket<Build> {
            ::rocket::execute(self.0.take().expect("the app is built once"))
        }
    }

    fn record(key: &Key, kind: &str, value: &Value) {
        let mut text = ::std::string::String::from(kind);
        text.push(' ');
        text.push_str(&value.to_string());
        crate::__rocket_sandbox_records::write(key, text.as_bytes());
    }

    fn pairs(v: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for pair in v.as_array().into_iter().flatten() {
            if let (Some(name), Some(value)) = (pair[0].as_str(), pair[1].as_str()) {
                out.push((name.to_owned(), value.to_owned()));
            }
        }
        out
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| ::std::format!("{b:02x}")).collect()
    }

    pub(crate) fn main() {
        // First, before the app exists: later callers are the stub's.
        let key = match crate::__rocket_sandbox_records::take_key() {
            Some(key) => key,
            None => ::std::process::exit(70),
        };
        let mut input = String::new();
        ::std::io::stdin()
            .read_to_string(&mut input)
            .expect("the host sends the requests on stdin");
        let args: Value = serde_json::from_str(&input).expect("the host sends valid JSON");

        let app = (&Built(Cell::new(Some(super::rocket())))).into_rocket();
        let client = match Client::tracked(app) {
            Ok(client) => client,
            Err(e) => {
                // pretty_print logs the details (e.g. colliding routes) and
                // marks the error handled, so dropping it does not panic.
                let summary = e.pretty_print();
                record(&key, "error", &::rocket::serde::json::serde_json::json!(::std::format!("Rocket failed to launch: {summary}")));
                ::std::process::exit(1);
            }
        };

        for (i, r) in args["requests"].as_array().into_iter().flatten().enumerate() {
            record(&key, "request", &::rocket::serde::json::serde_json::json!(i));
            let method: Method = r["method"].as_str().unwrap_or("GET").parse().unwrap_or(Method::Get);
            let uri = r["uri"].as_str().unwrap_or("/");
            let mut request = client.req(method, uri);
            for (name, value) in pairs(&r["headers"]) {
                request.add_header(Header::new(name, value));
            }
            for (name, value) in pairs(&r["cookies"]) {
                request = request.cookie(Cookie::new(name, value));
            }
            if let Some(body) = r["body"].as_str() {
                request = request.body(body);
            }
            let response = request.dispatch();
            let status = response.status();
            let headers: Vec<(String, String)> = response
                .headers()
                .iter()
                .map(|h| (h.name().as_str().to_owned(), h.value().to_owned()))
                .collect();
            let (body, encoding) = match String::from_utf8(response.into_bytes().unwrap_or_default()) {
                Ok(text) => (text, "utf-8"),
                Err(e) => (hex(e.as_bytes()), "hex"),
            };
            record(
                &key,
                "response",
                &::rocket::serde::json::serde_json::json!({
                    "status": status.code,
                    "reason": status.reason().unwrap_or(""),
                    "headers": headers,
                    "body": body,
                    "body_encoding": encoding,
                }),
            );
        }
        // Shut the client down before the last record, so nothing the app
        // does on shutdown lands after it.
        drop(client);
        record(&key, "done", &Value::Null);
    }
}
