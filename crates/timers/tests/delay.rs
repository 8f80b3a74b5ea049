//! The lesson's `DelayFuture` (lesson 5, exercises 3 and 4).
//!
//! The bodies read the clock through `timers::now()` and run through `block_on::block_on`:
//! the `sim` crate includes this file and runs it again under its simulator, on virtual time.

use std::time::Duration;

use timers::DelayFuture;

#[test]
fn is_send_and_unpin() {
    fn check<T: Send + Unpin>() {}
    check::<DelayFuture>();
}

#[test]
fn returns_the_message_after_the_delay() {
    let (message, waited) = block_on::block_on(async {
        let start = timers::now();
        let message = DelayFuture::new(Duration::from_millis(50), "hello from the future!").await;
        (message, timers::now() - start)
    });
    assert_eq!(message, "hello from the future!");
    assert!(waited >= Duration::from_millis(50));
}

#[test]
fn concurrent_delays_finish_in_deadline_order_not_in_sequence() {
    use futures::stream::{FuturesUnordered, StreamExt};
    let (order, waited) = block_on::block_on(async {
        let start = timers::now();
        let delays: FuturesUnordered<DelayFuture> = [(300, "slow"), (100, "fast"), (200, "medium")]
            .into_iter()
            .map(|(ms, m)| DelayFuture::new(Duration::from_millis(ms), m))
            .collect();
        let order: Vec<String> = delays.collect().await;
        (order, timers::now() - start)
    });
    assert_eq!(order, ["fast", "medium", "slow"]);
    // Never early. (How late is measured by `cargo xtask verify` and the benches, not here.)
    assert!(waited >= Duration::from_millis(300));
}

#[test]
#[should_panic(expected = "polled after it returned its message")]
fn polling_after_completion_panics_clearly() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::Context;
    let waker = wakers::noop_waker();
    let mut cx = Context::from_waker(&waker);
    let mut f = DelayFuture::new(Duration::ZERO, "once");
    assert!(Pin::new(&mut f).poll(&mut cx).is_ready());
    let _ = Pin::new(&mut f).poll(&mut cx);
}
