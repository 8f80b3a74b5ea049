//! `timeout` and `timeout_at`.
//!
//! The bodies read the clock through `timers::now()` and run through `block_on::block_on`:
//! the `sim` crate includes this file and runs it again under its simulator, on virtual time.

use std::future::{Future, pending};
use std::time::Duration;

use timers::{Elapsed, Timeout, sleep, timeout, timeout_at};

const MS: Duration = Duration::from_millis(1);

#[test]
fn auto_traits_follow_the_inner_future() {
    fn send_unpin<T: Send + Unpin>() {}
    fn send<T: Send>() {}
    send_unpin::<Timeout<std::future::Ready<u8>>>();
    // An async block is Send but not Unpin: so is its Timeout.
    fn send_of<F: Future + Send>(_: &F) {}
    let t = timeout(MS, async {});
    send_of(&t);
    send::<Timeout<std::future::Pending<()>>>();
}

#[test]
fn ready_future_wins() {
    assert_eq!(
        block_on::block_on(timeout(Duration::from_secs(10), async { 5 })),
        Ok(5)
    );
}

#[test]
fn ready_future_wins_even_past_the_deadline() {
    let past = timers::now() - MS;
    assert_eq!(block_on::block_on(timeout_at(past, async { 1 })), Ok(1));
}

#[test]
fn slow_future_times_out_no_earlier_than_the_deadline() {
    let (result, waited) = block_on::block_on(async {
        let start = timers::now();
        let result = timeout(20 * MS, pending::<()>()).await;
        (result, timers::now() - start)
    });
    assert_eq!(result, Err(Elapsed::new()));
    assert!(waited >= 20 * MS);
}

#[test]
fn inner_future_that_finishes_first_is_returned() {
    let result = futures::executor::block_on(timeout(Duration::from_secs(10), async {
        sleep(10 * MS).await;
        "inner"
    }));
    assert_eq!(result, Ok("inner"));
}

#[test]
fn elapsed_is_a_std_error() {
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(Elapsed::new());
    assert_eq!(boxed.to_string(), "deadline has elapsed");
    assert!(format!("{:?}", Elapsed::new()).contains("Elapsed"));
}
