//! Public API tests for the `wakers` crate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use wakers::{CountingWaker, Parker, WakerSlot, noop_waker, waker_fn};

/// Generous upper bound for "returned early": far above scheduling noise, far below the timeout.
const EARLY: Duration = Duration::from_secs(5);

#[test]
fn unpark_before_park_is_kept() {
    let parker = Parker::new();
    parker.unparker().unpark();
    let start = Instant::now();
    assert!(parker.park_timeout(Duration::from_secs(30)));
    assert!(start.elapsed() < EARLY);
}

#[test]
fn park_timeout_returns_early_on_unpark() {
    let parker = Parker::new();
    let unparker = parker.unparker();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        unparker.unpark();
    });
    let start = Instant::now();
    assert!(parker.park_timeout(Duration::from_secs(30)));
    assert!(start.elapsed() < EARLY);
    t.join().unwrap();
}

#[test]
fn park_timeout_without_unpark_waits_the_full_time() {
    let parker = Parker::new();
    let start = Instant::now();
    assert!(!parker.park_timeout(Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn huge_timeout_is_not_an_overflow() {
    let parker = Parker::new();
    parker.unparker().unpark();
    assert!(parker.park_timeout(Duration::MAX));
}

#[test]
fn parker_moved_to_another_thread_is_woken_there() {
    let parker = Parker::new();
    let unparker = parker.unparker();
    let parked = Arc::new(AtomicBool::new(false));
    let parked2 = parked.clone();
    let t = thread::spawn(move || {
        parker.park();
        parked2.store(true, Ordering::SeqCst);
    });
    thread::sleep(Duration::from_millis(20));
    unparker.unpark();
    t.join().unwrap();
    assert!(parked.load(Ordering::SeqCst));
}

#[test]
fn parker_waker_unparks_from_another_thread() {
    let parker = Parker::new();
    for _ in 0..100 {
        let waker = parker.waker();
        let t = thread::spawn(move || waker.wake());
        parker.park();
        t.join().unwrap();
    }
}

#[test]
fn a_million_cross_thread_unparks_lose_nothing() {
    // Ping-pong: each side waits for the other's unpark. A lost unpark would hang, so the
    // waits are bounded and a timeout fails the test instead.
    const ROUNDS: usize = 20_000;
    let a = Parker::new();
    let b = Parker::new();
    let (ua, ub) = (a.unparker(), b.unparker());
    let t = thread::spawn(move || {
        for _ in 0..ROUNDS {
            assert!(b.park_timeout(Duration::from_secs(10)), "lost wake-up");
            ua.unpark();
        }
    });
    for _ in 0..ROUNDS {
        ub.unpark();
        assert!(a.park_timeout(Duration::from_secs(10)), "lost wake-up");
    }
    t.join().unwrap();
}

#[test]
#[allow(clippy::waker_clone_wake)] // deliberately: a clone of the no-op waker is woken by value
fn noop_waker_does_nothing() {
    let waker = noop_waker();
    waker.wake_by_ref();
    waker.clone().wake();
}

#[test]
#[allow(clippy::waker_clone_wake)] // deliberately: a clone must call the same function
fn waker_fn_runs_once_per_wake() {
    let calls = Arc::new(AtomicUsize::new(0));
    let calls2 = calls.clone();
    let waker = waker_fn(move || {
        calls2.fetch_add(1, Ordering::SeqCst);
    });
    waker.wake_by_ref();
    let clone = waker.clone();
    drop(waker);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    clone.wake();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn counting_waker_shares_one_count_across_clones_and_threads() {
    let counter = CountingWaker::new();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let waker = counter.waker();
            thread::spawn(move || {
                for _ in 0..1000 {
                    waker.wake_by_ref();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(counter.wakes(), 4000);
    assert_eq!(counter.clone().wakes(), 4000);
}

#[test]
fn slot_wakes_the_last_registered_waker_only() {
    let first = CountingWaker::new();
    let second = CountingWaker::new();
    let slot = WakerSlot::new();
    slot.register(&first.waker());
    slot.register(&second.waker());
    slot.wake();
    assert_eq!((first.wakes(), second.wakes()), (0, 1));
    slot.wake();
    assert_eq!(second.wakes(), 1, "the slot is empty after a wake");
}

#[test]
fn slot_registering_the_same_waker_twice_keeps_one() {
    let counter = CountingWaker::new();
    let waker = counter.waker();
    let slot = WakerSlot::new();
    slot.register(&waker);
    slot.register(&waker);
    slot.wake();
    slot.wake();
    assert_eq!(counter.wakes(), 1);
}

#[test]
fn slot_register_racing_wake_loses_no_wake_up() {
    // The waiter registers and then checks the flag; the waker sets the flag and then wakes.
    // Every round must end with the waiter knowing: either it saw the flag or it was woken.
    let start = Instant::now();
    for _ in 0..5_000 {
        let slot = Arc::new(WakerSlot::new());
        let flag = Arc::new(AtomicBool::new(false));
        let (slot2, flag2) = (slot.clone(), flag.clone());
        let parker = Parker::new();
        let t = thread::spawn(move || {
            flag2.store(true, Ordering::SeqCst);
            slot2.wake();
        });
        slot.register(&parker.waker());
        if !flag.load(Ordering::SeqCst) {
            assert!(parker.park_timeout(Duration::from_secs(10)), "lost wake-up");
        }
        t.join().unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "too slow: bounded test"
        );
    }
}
