//! A wake from a real thread is reported, not silently let through.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::channel::oneshot;
use sim::Builder;

#[test]
fn a_task_woken_from_an_os_thread_is_reported() {
    let message = common::panic_message(|| {
        let _ = Builder::new().seed(3).build().block_on(async {
            let (tx, rx) = oneshot::channel();
            let waiting = Arc::new(AtomicBool::new(false));
            let w = waiting.clone();
            let task = executor::spawn(async move {
                w.store(true, Ordering::Relaxed);
                rx.await.unwrap()
            });
            while !waiting.load(Ordering::Relaxed) {
                executor::yield_now().await; // until the task waits on the channel
            }
            std::thread::Builder::new()
                .name("real-thread".into())
                .spawn(move || tx.send(1).unwrap())
                .unwrap()
                .join()
                .unwrap();
            task.await
        });
    })
    .expect("a wake from outside must be reported");
    assert!(
        message.contains("woken from thread 'real-thread'"),
        "{message}"
    );
    assert!(message.contains("task #1 (task "), "{message}");
    assert!(
        message.contains("spawned at crates/sim/tests/foreign_wake.rs"),
        "{message}"
    );
    assert!(message.contains("seed: 3"), "{message}");
}

#[test]
fn a_timer_of_the_real_driver_is_reported_not_waited_for() {
    // A sleep made (and registered) outside the simulation belongs to the real driver.
    let mut real = Box::pin(timers::sleep(Duration::from_millis(1)));
    let waker = wakers::noop_waker();
    assert!(
        real.as_mut()
            .poll(&mut std::task::Context::from_waker(&waker))
            .is_pending()
    );
    let message = common::panic_message(|| {
        Builder::new().build().block_on(async move {
            // Registers the simulator's waker with the driver; virtual time cannot fire it.
            // Until the driver does, the root is the only thing alive, and no timer is
            // pending on the virtual clock: both reports name the problem.
            real.await;
        })
    })
    .expect("must be reported");
    assert!(
        message.contains("woken from thread 'timers-driver'")
            || message.contains("all tasks are blocked forever"),
        "{message}"
    );
}

#[test]
fn awaiting_spawn_blocking_is_reported_not_waited_for() {
    let message = common::panic_message(|| {
        Builder::new().build().block_on(async {
            executor::spawn_blocking(|| std::thread::sleep(Duration::from_millis(5))).await;
        });
    })
    .expect("a real thread's work must be reported");
    assert!(
        message.contains("woken from thread") || message.contains("all tasks are blocked forever"),
        "{message}"
    );
    assert!(message.contains("seed: 0"), "{message}");
}
