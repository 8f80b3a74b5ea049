//! Lesson 5, exercise 4: three delays spawned on one executor wait at the same time. They
//! finish in the order fast (1 s), medium (2 s), slow (3 s), all within about 3 s: the
//! executor runs them concurrently, not one after another (which would take 6 s).
//!
//! Run it with `cargo run --example ex4_concurrent`.

use std::time::{Duration, Instant};

use executor::Executor;
use timers::DelayFuture;

fn main() {
    let executor = Executor::new();
    let start = Instant::now();
    for (secs, name) in [(3, "slow"), (1, "fast"), (2, "medium")] {
        executor.spawn(async move {
            let message = DelayFuture::new(Duration::from_secs(secs), name).await;
            println!("{message} (after {:.1?})", start.elapsed());
        });
    }
    executor.run();
    println!("all three done in {:.1?}", start.elapsed());
}
