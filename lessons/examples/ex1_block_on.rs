//! Lesson 5, exercise 1: `block_on` drives one future to completion on this thread.
//!
//! The countdown returns `Pending` three times, waking itself each time; `block_on` polls it
//! again after each wake and parks the thread in between (here the wakes come at once).
//!
//! Run it with `cargo run --example ex1_block_on`.

use block_on::block_on;
use lessons::CountdownFuture;

fn main() {
    let name = block_on(CountdownFuture::new("countdown", 3));
    println!("block_on returned {name:?}");
}
