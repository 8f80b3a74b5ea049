//! A waker is user code: one that panics when the reactor's turn wakes it must not unwind
//! into the runner (or the fallback thread) that happened to hold the poller, as the timers'
//! round already guarantees for timer wakers.
//!
//! This file is its own process: its reactor is made here, before any timer.

#![cfg(target_os = "linux")]

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Wake};
use std::thread;
use std::time::Duration;

/// Only turns a hang into a failure.
const HANG: Duration = Duration::from_secs(60);

/// A waker that panics when woken.
struct Panics;

impl Wake for Panics {
    fn wake(self: Arc<Self>) {
        panic!("a user's waker panicked");
    }
}

#[test]
fn a_panicking_io_waker_does_not_unwind_into_the_runner_that_delivers_it() {
    testkit::within(HANG, || {
        let listener = Arc::new(reactor::TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = listener.local_addr().unwrap();
        // An accept registered with the panicking waker.
        let waker = Arc::new(Panics).into();
        let mut accept = Box::pin(listener.accept());
        assert!(
            accept
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        // A runner that waits in the poller until told to stop.
        let ex = Arc::new(executor::Executor::new());
        let (tx, rx) = futures::channel::oneshot::channel::<()>();
        let runner = {
            let ex = ex.clone();
            thread::spawn(move || ex.block_on(async { rx.await.unwrap() }))
        };
        thread::sleep(Duration::from_millis(50)); // time to fall asleep in the poller
        let _client = std::net::TcpStream::connect(addr).unwrap();
        thread::sleep(Duration::from_millis(50)); // time for the turn to deliver it
        let _ = tx.send(());
        assert!(
            runner.join().is_ok(),
            "the waker's panic unwound out of the runner's block_on"
        );
        // The reactor still delivers readiness afterwards.
        assert!(ex.block_on(accept).is_ok());
    });
}
