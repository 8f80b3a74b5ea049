//! A deliberately stuck program, and the dump that explains it.
//!
//! `cargo run -p executor --example stuck`
//!
//! * `left` and `right` deadlock: each waits for a message only the other sends after
//!   receiving. Their wakers sit in each other's channels, so they are idle but not lost:
//!   something *could* wake them.
//! * `forgotten` waits on a future that dropped its waker: nothing can ever wake it, so the
//!   dump flags it as lost.
//! * `ticker` is healthy: it yields and counts.

use std::future::poll_fn;
use std::task::Poll;

use executor::{Executor, yield_now};
use futures::channel::oneshot;

fn main() {
    let ex = Executor::new();

    let (to_left, from_right) = oneshot::channel::<()>();
    let (to_right, from_left) = oneshot::channel::<()>();
    ex.task().name("left").spawn(async move {
        from_right.await.ok();
        to_right.send(()).ok();
    });
    ex.task().name("right").spawn(async move {
        from_left.await.ok();
        to_left.send(()).ok();
    });
    ex.task().name("forgotten").spawn(poll_fn(|cx| {
        drop(cx.waker().clone()); // registers nowhere: a lost wake-up
        Poll::<()>::Pending
    }));
    let ticker = ex.task().name("ticker").spawn(async {
        for _ in 0..3 {
            yield_now().await;
        }
    });

    // Let every task run until it waits.
    ex.block_on(ticker);
    let dump = ex.dump();
    print!("{dump}");
    assert_eq!(dump.tasks().filter(|t| t.is_lost()).count(), 1);
}
