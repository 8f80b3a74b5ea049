//! `CountingAlloc` as the global allocator of this test binary: what each count sees.
//!
//! Process-wide windows see every thread, the test harness's too: so one test runs the checks
//! in turn, and no other test shares the binary.

use std::hint::black_box;
use std::thread;

use testkit::{AllocWindow, CountingAlloc, measure_allocations, thread_allocations};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn a_reallocation_counts_and_moves_the_live_bytes_by_the_difference() {
    let mut v: Vec<u8> = Vec::with_capacity(16);
    v.push(1);
    let (v, stats) = measure_allocations(move || {
        v.reserve_exact(64 - v.len()); // 16 -> 64 bytes: one `realloc`
        black_box(v)
    });
    assert_eq!(stats.allocations, 1);
    assert_eq!(stats.net_bytes, 64 - 16);
    assert_eq!(v.capacity(), 64);
}

fn the_thread_count_ignores_other_threads_and_the_window_sees_them() {
    let window = AllocWindow::open();
    let before = thread_allocations();
    let other = thread::spawn(|| {
        let mine = thread_allocations();
        let boxes: Vec<Box<u64>> = (0..1000).map(Box::new).collect();
        black_box(&boxes);
        assert!(thread_allocations() - mine >= 1000);
    });
    let mine = thread_allocations() - before; // spawning allocates a little, here
    other.join().unwrap();
    assert!(mine < 100, "{mine} allocations on this thread");
    assert!(
        window.stats().allocations >= 1000,
        "the window counts every thread"
    );
}

fn outside_a_window_the_process_counts_stay_still() {
    let (_, inside) = measure_allocations(|| black_box(Box::new(1u8)));
    assert_eq!(inside.allocations, 1);
    // Nothing to read outside a window but the next window's start: a window that only
    // frees what was allocated before it sees negative net bytes and no allocation.
    let kept = black_box(vec![0u8; 256]);
    let ((), stats) = measure_allocations(|| drop(kept));
    assert_eq!(stats.allocations, 0);
    assert_eq!(stats.net_bytes, -256);
}

#[test]
fn counts() {
    a_reallocation_counts_and_moves_the_live_bytes_by_the_difference();
    the_thread_count_ignores_other_threads_and_the_window_sees_them();
    outside_a_window_the_process_counts_stay_still();
}
