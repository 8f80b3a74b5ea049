//! A time limit for code that could deadlock or lose a wake-up.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `f` on its own thread and returns its result; panics (failing the test instead of
/// hanging it) if `f` has not finished after `limit`.
///
/// The limit is a guard against hangs, not a speed check: give it many times what the code
/// needs on a loaded machine. A panic inside `f` also ends up as this panic (its thread's
/// channel closes without a result).
///
/// ```
/// use std::time::Duration;
///
/// assert_eq!(testkit::within(Duration::from_secs(10), || 2 + 2), 4);
/// ```
///
/// ```should_panic
/// use std::time::Duration;
///
/// // A lost wake-up: the thread waits forever, so `within` gives up.
/// testkit::within(Duration::from_millis(10), || std::thread::park());
/// ```
///
/// # Panics
///
/// Panics with "deadlock or lost wake-up: did not finish in time" if `f` does not return
/// within `limit`, and if `f` itself panics.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("deadlock or lost wake-up: did not finish in time")
}
