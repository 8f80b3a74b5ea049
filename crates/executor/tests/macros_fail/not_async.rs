#[executor::main]
fn main() {}
