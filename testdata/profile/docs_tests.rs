// rocket_docs_tests: every helper the guide's hidden lines call.
#[macro_use]
extern crate rocket;

use std::collections::{BTreeMap, HashMap};

use rocket::form::FromForm;
use rocket::http::Status;
use rocket_docs_tests::{assert_form_parses, assert_form_parses_ok, assert_not_form_parses, bmap, map};

#[derive(FromForm, Debug, PartialEq)]
struct MyForm {
    name: String,
    pets: Vec<Pet>,
}

#[derive(FromForm, Debug, PartialEq)]
struct Pet {
    name: String,
    good_pet: bool,
}

#[derive(FromForm, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Person {
    name: String,
    age: usize,
}

#[derive(FromForm)]
#[allow(dead_code)] // only parsed
struct Loose<'v> {
    maybe: Option<&'v str>,
    flag: bool,
}

#[get("/?hello&cat=♥")]
fn cats() -> &'static str {
    "Hello, kittens!"
}

fn main() {
    assert_form_parses! { MyForm,
        "name=Bob&pets[0].name=Sally&pets[0].good_pet=on",
        "name=Bob&pets[sally].name=Sally&pets[sally].good_pet=yes",
        => MyForm { name: "Bob".into(), pets: vec![Pet { name: "Sally".into(), good_pet: true }] }
    };
    assert_not_form_parses! { MyForm,
        "name=Bob&pets[0].name=Sally&pets[1].good_pet=on",
        "name=Bob&pets[].name=Sally&pets[].good_pet=on",
    };
    assert_form_parses_ok!(Loose, "");
    println!("forms: ok");

    type Foo = HashMap<Vec<BTreeMap<Person, usize>>, HashMap<usize, Person>>;
    assert_form_parses! { Foo,
        "[k:top][i][k:sub]name=Bobert&[k:top][i][k:sub]age=22&[k:top][i][sub]=1337&\
         [top][7]name=Builder&[top][7]age=99" =>
        map! {
            vec![bmap! { Person { name: "Bobert".into(), age: 22 } => 1337usize }]
            => map! { 7usize => Person { name: "Builder".into(), age: 99 } }
        },
    };
    let ids: HashMap<String, usize> = map! { "a" => 1usize };
    println!("maps: ok {ids:?}");

    let status = rocket_docs_tests::client(routes![cats])
        .get("/?cat=%E2%99%A5&hello")
        .dispatch()
        .status();
    assert_eq!(status, Status::Ok);
    println!("client: {status}");
}
