//! `#[executor::main]` and `#[executor::test]`: any name, any return type, the worker option;
//! and (trybuild, `tests/macros_fail/`) the error messages for what they do not accept.
//! Regenerate the `.stderr` files after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p executor --test macros`, then read the diff.

use std::collections::HashSet;
use std::error::Error;
use std::sync::{Arc, Barrier};

#[executor::main]
async fn returns_unit() {}

#[executor::main]
async fn any_name_and_type() -> Vec<&'static str> {
    let a = executor::spawn(async { "a" });
    let b = executor::spawn(async { "b" });
    vec![a.await, b.await]
}

#[executor::main(worker_threads = 1)]
async fn question_mark() -> Result<u32, Box<dyn Error + Send + Sync>> {
    let parsed = executor::spawn(async { "41".parse::<u32>() }).await?;
    let joined = executor::spawn(async move { parsed + 1 })
        .try_join()
        .await?;
    Ok(joined)
}

#[executor::main(worker_threads = 1)]
async fn question_mark_fails() -> Result<u32, Box<dyn Error + Send + Sync>> {
    Ok(executor::spawn(async { "x".parse::<u32>() }).await?)
}

/// Early `return` leaves the body, as in an `async fn`.
#[executor::main]
async fn early_return() -> u8 {
    if executor::spawn(async { true }).await {
        return 1;
    }
    2
}

/// Runs `n` tasks that each wait until all `n` run at once, and returns the distinct
/// threads they ran on: only possible with at least `n` threads driving the executor.
async fn all_at_once(n: usize) -> usize {
    let barrier = Arc::new(Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let barrier = barrier.clone();
            executor::spawn(async move {
                barrier.wait();
                std::thread::current().id()
            })
        })
        .collect();
    let mut threads = HashSet::new();
    for task in tasks {
        threads.insert(task.await);
    }
    threads.len()
}

/// Two workers plus the main thread: three tasks blocking in a barrier of three all finish.
#[executor::main(worker_threads = 2)]
async fn two_workers() -> usize {
    all_at_once(3).await
}

/// No workers: every task runs on the calling thread.
#[executor::main(worker_threads = 0)]
async fn no_workers() -> usize {
    let caller = std::thread::current().id();
    let tasks: Vec<_> = (0..4)
        .map(|_| executor::spawn(async { std::thread::current().id() }))
        .collect();
    let mut on_caller = 0;
    for task in tasks {
        on_caller += usize::from(task.await == caller);
    }
    on_caller
}

#[executor::main]
async fn default_workers() -> usize {
    all_at_once(executor::default_worker_threads() + 1).await
}

#[test]
fn main_any_name_any_return_type() {
    returns_unit();
    assert_eq!(any_name_and_type(), ["a", "b"]);
    assert_eq!(question_mark().unwrap(), 42);
    let err = question_mark_fails().unwrap_err();
    assert_eq!(err.to_string(), "invalid digit found in string");
    assert_eq!(early_return(), 1);
}

#[test]
fn worker_threads_option_and_default() {
    // The barriers would deadlock with fewer threads than tasks.
    assert_eq!(two_workers(), 3);
    assert_eq!(default_workers(), executor::default_worker_threads() + 1);
    assert_eq!(no_workers(), 4);
}

#[test]
fn start_is_the_plain_function_form() {
    let out = executor::start(async { executor::spawn(async { 5 }).await });
    assert_eq!(out, 5);
}

#[executor::test]
async fn test_macro_runs_the_body_on_an_executor() {
    let inner = executor::spawn(async { executor::spawn(async { 3 }).await });
    assert_eq!(inner.await, 3);
}

#[executor::test(worker_threads = 1)]
async fn test_macro_takes_the_option() -> Result<(), Box<dyn Error + Send + Sync>> {
    let n: u8 = executor::spawn(async { "7".parse() }).await?;
    assert_eq!(n, 7);
    Ok(())
}

#[test]
fn macro_errors_say_what_is_accepted() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/macros_fail/*.rs");
}
