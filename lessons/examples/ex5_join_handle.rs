//! Lesson 5, exercise 5: `spawn` returns a `JoinHandle`, a future of the task's output.
//! Blocking on the handle gives 42.
//!
//! The executor here has one worker thread: awaiting a handle does not run the executor, so
//! something else must (with `Executor::new()` nothing would, and the program would say so on
//! standard error after a second instead of printing 42).
//!
//! Run it with `cargo run --example ex5_join_handle`.

use block_on::block_on;
use executor::Executor;

fn main() {
    let executor = Executor::builder().worker_threads(1).build();
    let handle = executor.spawn(async { 42 });
    let result = block_on(handle);
    assert_eq!(result, 42);
    println!("the task returned {result}");
}
