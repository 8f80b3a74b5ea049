//! Dropped timers leave no memory behind: a counting global allocator watches live bytes.
//!
//! This file holds a single test so that no other test allocates while it measures.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: testkit::CountingAlloc = testkit::CountingAlloc;

/// Live bytes, process-wide; only differences within the test's allocation window count.
fn live() -> isize {
    testkit::live_bytes() as isize
}

/// Waits (at most 30 s) until live bytes are back within `slack` of `baseline`.
fn wait_for_baseline(baseline: isize, what: &str) {
    // Up to `BACKLOG` ops per thread may wait for the driver's next round: allow for those.
    let slack = 1024 * 1024;
    let give_up = Instant::now() + Duration::from_secs(30);
    loop {
        let extra = live() - baseline;
        if extra < slack {
            return;
        }
        assert!(
            Instant::now() < give_up,
            "{extra} bytes still live 30 s after {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_million_timers_polled_once_and_dropped_leave_no_memory_behind() {
    const N: u64 = 1_000_000;
    let _counting = testkit::AllocWindow::open(); // live bytes are counted from here on
    let waker = wakers::noop_waker();
    let mut cx = Context::from_waker(&waker);

    // Start the driver, and keep one long timer pending so that the driver parks towards a
    // far deadline: later timers (further still) do not wake it, only the op backlog does.
    block_on::block_on(timers::sleep(Duration::from_millis(1)));
    let mut keeper = timers::sleep(Duration::from_secs(600));
    assert!(Pin::new(&mut keeper).poll(&mut cx).is_pending());
    std::thread::sleep(Duration::from_millis(50));
    let baseline = live();

    // 1. Each timer dropped right after its first poll (mostly before the driver saw it).
    for i in 0..N {
        let mut timer = timers::sleep(Duration::from_secs(3_600 + i % 1_000));
        assert!(Pin::new(&mut timer).poll(&mut cx).is_pending());
        drop(timer);
    }
    wait_for_baseline(baseline, "dropping timers right after their first poll");

    // 2. All polled first and left for the driver to put in its wheel, then all dropped: each
    //    cancel must take its entry out of the wheel (the slab shrinks back).
    let mut timers: Vec<timers::Sleep> = (0..N)
        .map(|i| timers::sleep(Duration::from_secs(3_600 + i % 1_000)))
        .collect();
    for timer in &mut timers {
        assert!(Pin::new(timer).poll(&mut cx).is_pending());
    }
    // The driver handles ops in order: once this short sleep has fired, all are in the wheel.
    block_on::block_on(timers::sleep(Duration::from_millis(1)));
    drop(timers);
    wait_for_baseline(baseline, "dropping a million registered timers");

    // 3. A few registered timers dropped while the driver parks towards a far deadline (the
    //    keeper's) are freed within a driver round, without one wake-up per cancel: on a
    //    fresh thread, so its op count is far from the backlog that would wake the driver.
    std::thread::spawn(|| {
        const FEW: usize = 1_000;
        let waker = wakers::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut timers: Vec<timers::Sleep> = (0..FEW)
            .map(|_| timers::sleep(Duration::from_secs(3_600)))
            .collect();
        for timer in &mut timers {
            assert!(Pin::new(timer).poll(&mut cx).is_pending());
        }
        block_on::block_on(timers::sleep(Duration::from_millis(1)));
        // Let the driver finish its round and park towards the keeper's deadline.
        std::thread::sleep(Duration::from_millis(50));
        let before = live();
        timers.clear(); // drops every timer, keeps the vector's own memory
        // Each timer's entry holds at least its deadline, state, key and waker slot.
        let freed = (FEW * 32) as isize;
        let give_up = Instant::now() + Duration::from_secs(30);
        while live() > before - freed {
            assert!(
                Instant::now() < give_up,
                "{} bytes of {FEW} cancelled timers still live 30 s later",
                live() - (before - freed)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    })
    .join()
    .expect("no panic");

    // The driver still works, and the keeper is still pending.
    block_on::block_on(timers::sleep(Duration::from_millis(2)));
    assert!(Pin::new(&mut keeper).poll(&mut cx).is_pending());
}
