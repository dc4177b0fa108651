// figment: layered configuration, extracted into a type; Rocket's own
// Config through the same providers.
use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, Serialize)]
struct AppConfig {
    name: String,
    workers: u16,
    tags: Vec<String>,
}

fn main() {
    let defaults = AppConfig { name: "app".into(), workers: 1, tags: vec![] };
    let figment = Figment::from(Serialized::defaults(defaults))
        .merge(Toml::string("workers = 4\ntags = [\"a\", \"b\"]"));
    let config: AppConfig = figment.extract().unwrap();
    println!("{config:?}");

    let err = Figment::from(Toml::string("workers = \"many\"")).extract::<AppConfig>().unwrap_err();
    println!("error: {err}");

    let rocket_config: rocket::Config = rocket::Config::figment()
        .merge(("port", 9000))
        .merge(("ident", "guide"))
        .extract()
        .unwrap();
    println!("rocket: port {} ident {}", rocket_config.port, rocket_config.ident);
}
