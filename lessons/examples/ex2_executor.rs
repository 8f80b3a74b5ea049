//! Lesson 5, exercise 2: a multi-task executor. Three countdowns of different counts are
//! spawned; `run` polls whichever is queued, and a countdown's wake puts it at the back of the
//! queue, so their polls interleave (a1 b1 c1 a2 ...) and the shortest finishes first.
//!
//! Run it with `cargo run --example ex2_executor`.

use executor::Executor;
use lessons::CountdownFuture;

fn main() {
    let executor = Executor::new();
    for (name, count) in [("a", 3), ("b", 1), ("c", 2)] {
        executor.spawn(async move {
            let name = CountdownFuture::new(name, count).await;
            println!("{name} completed");
        });
    }
    // `Executor::new()` has no threads of its own: `run` drives the tasks on this thread
    // until none is left.
    executor.run();
}
