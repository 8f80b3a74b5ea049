//! Timers registered by a thread that exits right after are never lost.
//!
//! The driver swaps each thread's op batch out and then forgets the batches of threads that
//! have exited; an op a thread pushed between the two, just before exiting, must still be
//! applied. Each short-lived thread here polls a sleep once (its insert op goes to that
//! thread's batch), hands the sleep to the main thread and exits at once, while other
//! threads keep the driver busy. Every sleep must fire.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Context;
use std::time::{Duration, Instant};

/// Short-lived threads, each registering one timer.
const THREADS: usize = 4000;
/// How many of them run at once.
const WAVE: usize = 16;
/// Threads that hold a batch for the whole test.
const HOLDERS: usize = 256;

#[test]
fn timers_registered_by_exiting_threads_all_fire() {
    let fired = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    // Keep the driver busy: rounds back to back, so exits fall between swap and clean-up.
    let busy: Vec<_> = (0..2)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    block_on::block_on(timers::sleep(Duration::from_micros(20)));
                }
            })
        })
        .collect();
    // Many live threads with a batch each make the driver's pass over the batches long.
    let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
    let hold_rx = Arc::new(std::sync::Mutex::new(hold_rx));
    let holders: Vec<_> = (0..HOLDERS)
        .map(|_| {
            let hold_rx = hold_rx.clone();
            std::thread::spawn(move || {
                block_on::block_on(timers::sleep(Duration::from_micros(1)));
                let _ = hold_rx.lock().map(|rx| rx.recv());
            })
        })
        .collect();
    let mut kept = Vec::with_capacity(THREADS);
    for _ in 0..THREADS / WAVE {
        let wave: Vec<_> = (0..WAVE)
            .map(|_| {
                let fired = fired.clone();
                std::thread::spawn(move || {
                    // A first timer gives this thread its batch; the second one's insert is
                    // the op that races with the driver's clean-up.
                    block_on::block_on(timers::sleep(Duration::from_micros(1)));
                    let mut sleep = timers::sleep(Duration::from_millis(2));
                    let waker = wakers::waker_fn(move || {
                        fired.fetch_add(1, Ordering::SeqCst);
                    });
                    let polled = Pin::new(&mut sleep).poll(&mut Context::from_waker(&waker));
                    assert!(polled.is_pending());
                    sleep
                })
            })
            .collect();
        kept.extend(wave.into_iter().map(|t| t.join().expect("no panic")));
    }
    // A liveness guard, not a speed bound: every timer was due 2 ms after its thread ran.
    let give_up = Instant::now() + Duration::from_secs(60);
    while fired.load(Ordering::SeqCst) < THREADS && Instant::now() < give_up {
        std::thread::sleep(Duration::from_millis(10));
    }
    stop.store(true, Ordering::Relaxed);
    drop(hold_tx);
    for t in holders {
        t.join().expect("no panic");
    }
    for t in busy {
        t.join().expect("no panic");
    }
    assert_eq!(
        fired.load(Ordering::SeqCst),
        THREADS,
        "timers lost (their insert ops were dropped with their thread's batch)"
    );
    drop(kept);
}
