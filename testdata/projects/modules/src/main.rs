// A crate of several files: a module in src/routes.rs, one found by
// #[path], and a template read at compile time two ways.
mod routes;
#[path = "extra/util.rs"]
mod util;

const GREETING: &str = include_str!("../templates/greeting.txt");
const AGAIN: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/greeting.txt"));

fn main() {
    println!("{}", routes::name());
    println!("{}", util::shout(GREETING.trim()));
    println!("{}", GREETING == AGAIN);
    println!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
}
