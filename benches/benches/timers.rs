//! Placeholder until the timers comparison lands.
fn main() {}
