//! Placeholder until the block_on comparison lands.
fn main() {}
