//! The lesson's `DelayFuture` (lesson 5, exercises 3 and 4).

use std::time::{Duration, Instant};

use timers::DelayFuture;

#[test]
fn is_send_and_unpin() {
    fn check<T: Send + Unpin>() {}
    check::<DelayFuture>();
}

#[test]
fn returns_the_message_after_the_delay() {
    let start = Instant::now();
    let message = block_on::block_on(DelayFuture::new(
        Duration::from_millis(50),
        "hello from the future!",
    ));
    assert_eq!(message, "hello from the future!");
    assert!(start.elapsed() >= Duration::from_millis(50));
}

#[test]
fn concurrent_delays_finish_in_deadline_order_not_in_sequence() {
    use futures::stream::{FuturesUnordered, StreamExt};
    let start = Instant::now();
    let delays: FuturesUnordered<DelayFuture> = [(300, "slow"), (100, "fast"), (200, "medium")]
        .into_iter()
        .map(|(ms, m)| DelayFuture::new(Duration::from_millis(ms), m))
        .collect();
    let order: Vec<String> = block_on::block_on(delays.collect());
    assert_eq!(order, ["fast", "medium", "slow"]);
    // Never early. (How late is measured by `cargo xtask verify` and the benches, not here.)
    assert!(start.elapsed() >= Duration::from_millis(300));
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
