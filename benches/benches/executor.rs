//! Placeholder until the executor comparison lands.
fn main() {}
