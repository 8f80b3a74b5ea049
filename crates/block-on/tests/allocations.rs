//! `block_on` allocates nothing per call once a thread has made its first call.
//!
//! This file is its own test binary so that its counting global allocator sees only this test.

use std::future::poll_fn;
use std::task::Poll;

use block_on::block_on;

#[global_allocator]
static GLOBAL: testkit::CountingAlloc = testkit::CountingAlloc;

/// Allocations made by this thread (not the other tests') while `f` runs.
fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = testkit::thread_allocations();
    f();
    testkit::thread_allocations() - before
}

fn self_waking(times: usize) -> impl std::future::Future<Output = usize> {
    let mut left = times;
    poll_fn(move |cx| {
        if left == 0 {
            Poll::Ready(times)
        } else {
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
}

#[test]
fn no_allocation_per_call_after_the_first() {
    // The first calls make this thread's parkers (depth 0 and 1).
    let first = allocations_during(|| {
        block_on(async { block_on(async { 1 }) });
    });
    assert!(first > 0, "the first call makes the thread's parkers");

    let later = allocations_during(|| {
        for i in 0..1_000 {
            assert_eq!(block_on(async move { i }), i);
            assert_eq!(block_on(self_waking(10)), 10);
            assert_eq!(block_on(async { block_on(self_waking(3)) }), 3);
        }
    });
    assert_eq!(later, 0, "block_on allocated after the first call");
}
