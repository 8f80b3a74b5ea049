//! Small programs the sim tests share. (Local helpers until the workspace's `testkit` lands.)

#![allow(dead_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use executor::{spawn, yield_now};

/// A racy program: three tasks append their name twice, yielding in between. The log is the
/// order the scheduler chose.
pub async fn interleaving() -> Vec<&'static str> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|name| {
            let log = log.clone();
            spawn(async move {
                for _ in 0..2 {
                    log.lock().unwrap().push(name);
                    yield_now().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await;
    }
    log.lock().unwrap().clone()
}

/// Reads the counter, yields, writes it back plus one: not atomic across the yield.
async fn increment(counter: Arc<Mutex<u32>>) {
    let seen = *counter.lock().unwrap();
    yield_now().await;
    *counter.lock().unwrap() = seen + 1;
}

/// The classic lost update, hidden by FIFO order: the second increment is spawned after the
/// root did a little other work (a yield), by which time under FIFO the first one has read.
/// Another order lets both read 0, and the assertion fails.
pub async fn lost_update() {
    let counter = Arc::new(Mutex::new(0));
    let first = spawn(increment(counter.clone()));
    yield_now().await; // "some other work"
    let second = spawn(increment(counter.clone()));
    first.await;
    second.await;
    assert_eq!(*counter.lock().unwrap(), 2, "lost update");
}

/// The message of the panic `f` raises, or `None` if it returns.
pub fn panic_message(f: impl FnOnce()) -> Option<String> {
    let payload = catch_unwind(AssertUnwindSafe(f)).err()?;
    Some(
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default(),
    )
}
