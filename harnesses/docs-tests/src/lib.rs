//! What the hidden lines (`# `) of Rocket 0.5.1's guide examples call.
//!
//! Rocket runs its guide as doctests of a crate named `rocket_docs_tests`,
//! so the examples end in lines like `# rocket_docs_tests::client(routes![a, b]);`
//! or `# assert_form_parses! { MyForm, "a=1" => MyForm { a: 1 } };`. This
//! crate gives those names the same meaning, so the examples compile and
//! check themselves unchanged in the sandbox and in its native reference
//! build:
//!
//! - [`client`]: a local blocking client for some routes, in the debug
//!   profile (as a doctest would run), which also checks them for
//!   collisions;
//! - [`map!`] and [`bmap!`]: `HashMap` and `BTreeMap` literals whose keys
//!   and values are converted with `Into`, so `"a" => 1usize` fills a
//!   `HashMap<String, usize>`;
//! - [`assert_form_parses!`], [`assert_not_form_parses!`] and
//!   [`assert_form_parses_ok!`]: assertions about what
//!   [`Form::parse`](rocket::form::Form::parse) makes of form strings.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt::Debug;

use rocket::config::{Config, LogLevel};
use rocket::form::{Form, FromForm};
use rocket::local::blocking::Client;
use rocket::Route;

/// A tracked local blocking client for a Rocket with `routes` mounted at
/// `/`, configured like a doctest: the debug profile (so `secrets` gets a
/// generated key) and debug logging.
///
/// Panics if the instance does not ignite, e.g. when routes collide, which
/// is what the guide uses it to check.
pub fn client(routes: Vec<Route>) -> Client {
    let config = Config {
        log_level: LogLevel::Debug,
        ..Config::debug_default()
    };
    let rocket = rocket::custom(config).mount("/", routes);
    match Client::tracked(rocket) {
        Ok(client) => client,
        Err(error) => panic!("the Rocket instance failed to ignite: {error}"),
    }
}

/// A `HashMap` from `key => value` pairs, each side converted with `Into`.
///
/// ```
/// use std::collections::HashMap;
/// let ids: HashMap<String, usize> = rocket_docs_tests::map! { "a" => 1usize, "b" => 2usize };
/// assert_eq!(ids["b"], 2);
/// ```
#[macro_export]
macro_rules! map {
    ($($key:expr => $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut map = ::std::collections::HashMap::new();
        $(map.insert(::std::convert::Into::into($key), ::std::convert::Into::into($value));)*
        map
    }};
}

/// A `BTreeMap` from `key => value` pairs, each side converted with `Into`.
///
/// ```
/// use std::collections::BTreeMap;
/// let ids: BTreeMap<String, usize> = rocket_docs_tests::bmap! { "b" => 2usize, "a" => 1usize };
/// assert_eq!(ids.keys().collect::<Vec<_>>(), ["a", "b"]);
/// ```
#[macro_export]
macro_rules! bmap {
    ($($key:expr => $value:expr),* $(,)?) => {{
        #[allow(unused_mut)]
        let mut map = ::std::collections::BTreeMap::new();
        $(map.insert(::std::convert::Into::into($key), ::std::convert::Into::into($value));)*
        map
    }};
}

/// Asserts that form strings parse, leniently, into an expected value of a
/// `FromForm` type.
///
/// Two shapes: pairs, each form with its own expected value,
///
/// ```
/// # use rocket::form::FromForm;
/// # #[derive(FromForm, Debug, PartialEq)] struct MyForm { v: Vec<usize> }
/// rocket_docs_tests::assert_form_parses! { MyForm,
///     "v=1&v=2" => MyForm { v: vec![1, 2] },
///     "v[0]=1&v[0]=2" => MyForm { v: vec![1] },
/// };
/// ```
///
/// or several forms that all parse into one value:
///
/// ```
/// # use rocket::form::FromForm;
/// # #[derive(FromForm, Debug, PartialEq)] struct MyForm { a: usize }
/// rocket_docs_tests::assert_form_parses! { MyForm,
///     "a=1",
///     "a=1&a=2",
///     => MyForm { a: 1 }
/// };
/// ```
///
/// The type must implement `PartialEq` and `Debug`. A form that does not
/// parse, or parses into something else, panics naming the form.
#[macro_export]
macro_rules! assert_form_parses {
    ($T:ty, $($form:expr => $value:expr),+ $(,)?) => {{
        $({
            let expected: $T = $value;
            $crate::check_form_parses::<$T>($form, &expected);
        })+
    }};
    ($T:ty, $($form:expr),+ $(,)? => $value:expr) => {{
        let expected: $T = $value;
        $($crate::check_form_parses::<$T>($form, &expected);)+
    }};
}

/// Asserts that none of the form strings parses into the `FromForm` type.
///
/// ```
/// # use rocket::form::FromForm;
/// # #[derive(FromForm, Debug)] struct MyForm { a: usize }
/// rocket_docs_tests::assert_not_form_parses! { MyForm, "a=x", "b=1" };
/// ```
#[macro_export]
macro_rules! assert_not_form_parses {
    ($T:ty, $($form:expr),* $(,)?) => {{
        $($crate::check_form_fails::<$T>($form);)*
    }};
}

/// Asserts that each form string parses into the `FromForm` type, whatever
/// the value.
///
/// ```
/// # use rocket::form::FromForm;
/// # #[derive(FromForm)] struct MyForm { a: Option<usize> }
/// rocket_docs_tests::assert_form_parses_ok!(MyForm, "", "a=1");
/// ```
#[macro_export]
macro_rules! assert_form_parses_ok {
    ($T:ty, $($form:expr),* $(,)?) => {{
        $($crate::check_form_parses_ok::<$T>($form);)*
    }};
}

// The macros expand to calls of these functions rather than to inline
// code: callers then need no `rocket` in scope, and a failure reports the
// caller's line (`track_caller`) with the form that failed.

#[doc(hidden)]
#[track_caller]
pub fn check_form_parses<'r, T>(form: &'r str, expected: &T)
where
    T: FromForm<'r> + PartialEq + Debug,
{
    match Form::<T>::parse(form) {
        Ok(value) => assert_eq!(
            &value, expected,
            "form {form:?} parsed into an unexpected value"
        ),
        Err(errors) => panic!("form {form:?} failed to parse: {errors:?}"),
    }
}

#[doc(hidden)]
#[track_caller]
pub fn check_form_fails<'r, T>(form: &'r str)
where
    T: FromForm<'r> + Debug,
{
    if let Ok(value) = Form::<T>::parse(form) {
        panic!("form {form:?} was expected to fail but parsed into {value:?}");
    }
}

#[doc(hidden)]
#[track_caller]
pub fn check_form_parses_ok<'r, T>(form: &'r str)
where
    T: FromForm<'r>,
{
    if let Err(errors) = Form::<T>::parse(form) {
        panic!("form {form:?} failed to parse: {errors:?}");
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use rocket::form::FromForm;
    use rocket::http::Status;
    use rocket::{get, routes};

    #[derive(FromForm, Debug, PartialEq)]
    struct Pets {
        ids: HashMap<String, usize>,
        names: Vec<String>,
    }

    #[test]
    fn maps_convert_keys_and_values() {
        let m: HashMap<String, u64> = map! { "a" => 1u8, "b" => 2u8 };
        assert_eq!(m["a"], 1);
        let b: BTreeMap<String, String> = bmap! { "z" => "1", "y" => "2" };
        assert_eq!(b.keys().collect::<Vec<_>>(), ["y", "z"]);
        let empty: HashMap<u8, u8> = map! {};
        assert!(empty.is_empty());
    }

    #[test]
    fn form_assertions_pass() {
        assert_form_parses! { Pets,
            "ids[a]=1&names=x",
            "names=x&ids.a=1",
            => Pets { ids: map! { "a" => 1usize }, names: vec!["x".into()] }
        };
        assert_form_parses! { Pets,
            "ids[a]=1&ids[b]=2&names=x" => Pets {
                ids: map! { "a" => 1usize, "b" => 2usize },
                names: vec!["x".into()],
            },
        };
        assert_not_form_parses! { Pets, "ids[a]=x&names=x" };
        assert_form_parses_ok!(Pets, "ids[a]=1&names=x");
    }

    #[test]
    #[should_panic(expected = "unexpected value")]
    fn form_assertion_fails_on_another_value() {
        assert_form_parses! { Pets,
            "ids[a]=1&names=x" => Pets { ids: map! {}, names: vec![] }
        };
    }

    #[test]
    #[should_panic(expected = "was expected to fail")]
    fn not_parses_fails_on_a_good_form() {
        assert_not_form_parses! { Pets, "ids[a]=1&names=x" };
    }

    #[get("/<name>")]
    fn hello(name: &str) -> String {
        format!("Hello, {name}!")
    }

    #[test]
    fn client_dispatches() {
        let client = crate::client(routes![hello]);
        let response = client.get("/Ferris").dispatch();
        assert_eq!(response.status(), Status::Ok);
        assert_eq!(response.into_string().as_deref(), Some("Hello, Ferris!"));
    }

    #[get("/<_>")]
    fn other() {}

    #[test]
    #[should_panic(expected = "failed to ignite")]
    fn client_refuses_colliding_routes() {
        crate::client(routes![hello, other]);
    }
}
