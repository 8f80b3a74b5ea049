//! A panic that unwinds out of a runner's wait in the idle driver (say, a waker the I/O
//! reactor runs in its turn panics) must not leave that runner counted as a sleeper: a push's
//! wake-up would go to it, nobody would come back to clear the "a woken runner is on its way"
//! flag, and every later push would wake nobody.
//!
//! This file is its own process: it installs its own idle driver, which panics in the first
//! wait it is asked for.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use executor::Executor;
use wakers::idle::IdleDriver;

/// Only turns a hang (the lost wake-up) into a failure.
const HANG: Duration = Duration::from_secs(60);

/// An idle driver with no I/O: a wait is a condvar wait until `wake` (or the timeout). The
/// first wait panics instead.
#[derive(Default)]
struct PanicsOnce {
    panicked: AtomicBool,
    held: AtomicBool,
    woken: Mutex<bool>,
    wakes: Condvar,
}

impl IdleDriver for PanicsOnce {
    fn try_wait(&self, timeout: Option<Duration>, may_wait: &dyn Fn() -> bool) -> bool {
        if self.held.swap(true, Ordering::AcqRel) {
            return false;
        }
        if !self.panicked.swap(true, Ordering::AcqRel) {
            self.held.store(false, Ordering::Release);
            panic!("a waker run in the driver's turn panicked");
        }
        let mut woken = self.woken.lock().unwrap();
        if may_wait() {
            while !*woken {
                match timeout {
                    None => woken = self.wakes.wait(woken).unwrap(),
                    Some(timeout) => {
                        woken = self.wakes.wait_timeout(woken, timeout).unwrap().0;
                        break;
                    }
                }
            }
        }
        *woken = false;
        drop(woken);
        self.held.store(false, Ordering::Release);
        true
    }

    fn poll_now(&self) {}

    fn wake(&self) {
        *self.woken.lock().unwrap() = true;
        self.wakes.notify_all();
    }

    fn runner_enter(&self) {}

    fn runner_leave(&self) {}
}

#[test]
fn a_panic_out_of_a_runners_wait_does_not_swallow_later_wake_ups() {
    let driver: &'static PanicsOnce = Box::leak(Box::default());
    assert!(wakers::idle::install(driver));
    testkit::within(HANG, || {
        let ex = Arc::new(Executor::new());
        // A runner alone sleeps in the driver, which panics: out of its `block_on`.
        let unwound = {
            let ex = ex.clone();
            thread::spawn(move || {
                catch_unwind(AssertUnwindSafe(|| {
                    ex.block_on(std::future::pending::<()>())
                }))
            })
            .join()
            .unwrap()
        };
        assert!(unwound.is_err(), "the driver's panic reaches the caller");
        // A push while no runner sleeps: were the gone runner still listed, this wake-up
        // would go to it and stay "on its way" for good.
        drop(ex.spawn(async {}));
        // A runner that sleeps, and a task from outside that it must be woken for.
        let (tx, rx) = futures::channel::oneshot::channel();
        let sleeper = {
            let ex = ex.clone();
            thread::spawn(move || ex.block_on(async { rx.await.unwrap() }))
        };
        // Time for it to fall asleep (if it has not, the push below finds it anyway).
        thread::sleep(Duration::from_millis(50));
        drop(ex.spawn(async move { tx.send(()).unwrap() }));
        sleeper.join().unwrap();
    });
}
