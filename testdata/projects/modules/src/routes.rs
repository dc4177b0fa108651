pub fn name() -> &'static str {
    "routes"
}
