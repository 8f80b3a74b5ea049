//! `block_on` allocates nothing per call once a thread has made its first call.
//!
//! This file is its own test binary so that its counting global allocator sees only this test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::poll_fn;
use std::task::Poll;

use block_on::block_on;

struct CountingAlloc;

thread_local! {
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the counter is a thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCS.with(Cell::get);
    f();
    ALLOCS.with(Cell::get) - before
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
