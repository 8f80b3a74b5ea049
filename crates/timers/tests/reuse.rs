//! A timer dropped before the driver took it in leaves its allocation to the next timer of
//! its thread: a loop of create, poll once, drop allocates (almost) nothing after the first.
//!
//! A binary of its own: it installs a counting global allocator.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

#[global_allocator]
static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;

/// Timers made, polled once and dropped in the measured loop.
const N: u64 = 1_000;

fn create_poll_drop(cx: &mut Context<'_>, secs: u64) {
    let mut timer = timers::sleep(Duration::from_secs(secs));
    assert!(Pin::new(&mut timer).poll(cx).is_pending());
}

#[test]
fn timers_polled_once_and_dropped_reuse_one_allocation() {
    let waker = wakers::noop_waker();
    let mut cx = Context::from_waker(&waker);
    // Starts the driver and this thread's op batch, and leaves the spare entry.
    create_poll_drop(&mut cx, 3_600);

    let ((), allocations) = testkit::count_allocations(|| {
        for i in 0..N {
            create_poll_drop(&mut cx, 3_600 + i);
        }
    });
    // One allocation per timer without reuse. A few may remain: when the driver happens to
    // take this thread's batch while an insert is in it, the next insert regrows the batch.
    assert!(
        allocations < N / 2,
        "{allocations} allocations for {N} timers made, polled once and dropped"
    );

    // The reused entry still works: a sleep made after all that completes.
    block_on::block_on(timers::sleep(Duration::from_millis(5)));
}
