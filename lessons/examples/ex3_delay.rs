//! Lesson 5, exercise 3: a real timer. `DelayFuture` is pending until its deadline, and its
//! waker is woken then; meanwhile `block_on` parks the thread, using no CPU. The message
//! appears after 2 seconds.
//!
//! Run it with `cargo run --example ex3_delay`.

use std::time::{Duration, Instant};

use block_on::block_on;
use timers::DelayFuture;

fn main() {
    let start = Instant::now();
    let message = block_on(DelayFuture::new(
        Duration::from_secs(2),
        "hello from the future!",
    ));
    println!("{message}");
    println!("(after {:.2?})", start.elapsed());
}
