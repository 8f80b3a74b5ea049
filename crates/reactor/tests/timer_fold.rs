//! Timers folded into the reactor's waits (the driver's invariant 7): in a process whose
//! reactor exists before its first timer waits, no timer thread is started, a runner waiting
//! in the poller fires the timers itself, a timer handed in from another thread with an
//! earlier deadline ends that runner's wait, and with no runner the reactor's fallback thread
//! fires them.
//!
//! This file is its own process, and every test here makes the reactor before any timer. Each
//! runs under [`testkit::within`], whose limit only turns a hang (a lost wake-up) into a
//! failure; it is many times what the test needs on a loaded machine.

#![cfg(target_os = "linux")]

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::channel::oneshot;

/// One test at a time: one test's wake-ups would end another's wait in the reactor and hide a
/// lost one.
static SERIAL: Mutex<()> = Mutex::new(());

/// The hang guard of every test here.
const HANG: Duration = Duration::from_secs(60);

/// Makes sure the reactor exists (and so is the installed idle driver) before any timer: a
/// listener registered with it, kept for the test's length.
fn reactor_on() -> reactor::TcpListener {
    reactor::TcpListener::bind("127.0.0.1:0").unwrap()
}

#[test]
fn a_runner_waiting_in_the_reactor_fires_the_timers_and_no_timer_thread_starts() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    testkit::within(HANG, || {
        let _reactor = reactor_on();
        let ex = executor::Executor::new();
        let slept = ex.block_on(async {
            executor::spawn(async {
                let start = Instant::now();
                for _ in 0..20 {
                    timers::sleep(Duration::from_millis(1)).await;
                }
                start.elapsed()
            })
            .await
        });
        assert!(slept >= Duration::from_millis(20), "a timer fired early");
        let names = testkit::thread_names();
        assert!(
            !names.iter().any(|n| n == "timers-driver"),
            "a timer thread was started: {names:?}"
        );
    });
}

#[test]
fn a_timer_from_another_thread_ends_the_runners_wait_in_the_reactor() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    testkit::within(HANG, || {
        let _reactor = reactor_on();
        let ex = executor::Executor::new();
        for delay_ms in [0, 1, 5, 20] {
            let (tx, rx) = oneshot::channel();
            // A thread that is no runner hands in a timer while this thread's runner waits in
            // the poller with no timer of its own: only the timer's wake (step 7 of the
            // timers' fold) ends that wait.
            let sleeper = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(delay_ms));
                block_on::block_on(timers::sleep(Duration::from_millis(2)));
                tx.send(()).unwrap();
            });
            ex.block_on(rx).unwrap();
            sleeper.join().unwrap();
        }
    });
}

#[test]
fn with_no_runner_the_reactors_fallback_thread_fires_the_timers() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    testkit::within(HANG, || {
        let _reactor = reactor_on();
        // No executor here: `block_on::block_on` parks its own thread, and only the reactor's
        // fallback thread waits in the poller, so only it can fire these.
        let start = Instant::now();
        block_on::block_on(async {
            for _ in 0..5 {
                timers::sleep(Duration::from_millis(2)).await;
            }
            timers::timeout(Duration::from_millis(2), std::future::pending::<()>())
                .await
                .unwrap_err();
        });
        assert!(
            start.elapsed() >= Duration::from_millis(12),
            "a timer fired early"
        );
    });
}

#[test]
fn timers_from_a_thread_that_is_no_runner_each_fire_alone() {
    // Hangs if the waiter misses a timer handed in between its round and its plan (step 3 of
    // the timers' fold) or during its wait (step 7): checked by removing each.
    const SLEEPS: u64 = 1_500;
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    testkit::within(HANG, || {
        let _reactor = reactor_on();
        common::lone_sleeps(true, SLEEPS, 1);
        common::lone_sleeps(false, SLEEPS, 2);
    });
}
