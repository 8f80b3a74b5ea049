//! How an idle runner sleeps: on its own [`Parker`], or blocked in the installed
//! [`IdleDriver`] (the I/O reactor), so that the events it waits for are delivered on its
//! thread and the tasks they wake run there.
//!
//! A runner's [`RunnerUnparker`] must reach it either way: it sets the parker's token (which
//! ends a park, or the next one), and if the runner is in the driver, it also wakes the
//! driver. The argument that no wake-up is lost is steps (4) to (7) in
//! [`sleepers`](crate::sleepers).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use wakers::idle::IdleDriver;
use wakers::{Parker, Unparker};

use crate::sync::{AtomicBool, Ordering, fence};

/// What a runner's unparkers share with it.
struct Target {
    thread: Unparker,
    /// The runner is in (or about to enter) [`RunnerParker::sleep`]'s driver wait.
    in_driver: AtomicBool,
    /// The driver it waits in (set before `in_driver` is first set; there is one per process).
    driver: OnceLock<&'static dyn IdleDriver>,
}

/// A runner's way to sleep: its parker, and the flag that says it sleeps in the driver.
pub(crate) struct RunnerParker {
    parker: Parker,
    target: Arc<Target>,
}

impl RunnerParker {
    pub(crate) fn new() -> RunnerParker {
        let parker = Parker::new();
        let target = Arc::new(Target {
            thread: parker.unparker(),
            in_driver: AtomicBool::new(false),
            driver: OnceLock::new(),
        });
        RunnerParker { parker, target }
    }

    /// A handle that wakes this runner, wherever it sleeps.
    pub(crate) fn unparker(&self) -> RunnerUnparker {
        RunnerUnparker(self.target.clone())
    }

    /// The parker itself (tests look at its token).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn parker(&self) -> &Parker {
        &self.parker
    }

    /// Sleeps until unparked, or for at most `timeout` if there is one: in `driver` if there
    /// is one and no other thread waits in it, else on the parker. The caller has registered
    /// as a sleeper and looked for work (steps 1 to 3 in [`sleepers`](crate::sleepers)); it
    /// looks again when this returns, which may be early (an I/O event, or a token left from
    /// an earlier wake).
    ///
    /// The driver's wait does not block if `queued()` says our own run queue holds a task
    /// when the driver asks (after its timer round): a timer that round fires for one of our
    /// tasks queues it on our own queue, and that lone push may wake another runner (or
    /// nobody, while one watches) instead of us.
    pub(crate) fn sleep(
        &self,
        driver: Option<&'static dyn IdleDriver>,
        timeout: Option<Duration>,
        queued: &dyn Fn() -> bool,
    ) {
        let Some(driver) = driver else {
            self.park(timeout);
            return;
        };
        let target = &*self.target;
        target.driver.get_or_init(|| driver);
        // Step (4): say where we sleep; (5) with the driver taken, look at our token again.
        target.in_driver.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let may_wait = || {
            fence(Ordering::SeqCst);
            !queued() && !self.parker.park_timeout(Duration::ZERO)
        };
        let waited = driver.try_wait(timeout, &may_wait);
        target.in_driver.store(false, Ordering::Relaxed);
        if waited {
            // A token set meanwhile (most often by the wakers our own turn ran) has done its
            // job: the caller looks at everything again now. Left in place, it would only
            // cut our next wait short, at the cost of a non-blocking turn.
            self.parker.park_timeout(Duration::ZERO);
        } else {
            // Another thread waits in the driver: park as usual (an unpark always sets the
            // token, so one that came meanwhile ends this park at once).
            self.park(timeout);
        }
    }

    /// Parks on the parker, for at most `timeout` if there is one.
    fn park(&self, timeout: Option<Duration>) {
        match timeout {
            None => self.parker.park(),
            Some(timeout) => {
                self.parker.park_timeout(timeout);
            }
        }
    }
}

/// Wakes a runner from its [`RunnerParker::sleep`], in the driver or on its parker.
#[derive(Clone)]
pub(crate) struct RunnerUnparker(Arc<Target>);

impl RunnerUnparker {
    /// Step (6): set the token, then (7) wake the driver if the runner sleeps in it.
    pub(crate) fn unpark(&self) {
        let target = &*self.0;
        target.thread.unpark();
        fence(Ordering::SeqCst);
        if target.in_driver.load(Ordering::Relaxed)
            && let Some(driver) = target.driver.get()
        {
            driver.wake();
        }
    }
}

impl std::fmt::Debug for RunnerUnparker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunnerUnparker").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A driver that never blocks and records what each turn's `may_wait` said: stands for
    /// the reactor, whose timer round (which may queue one of the runner's tasks) runs before
    /// it asks.
    #[derive(Default)]
    struct Recorder {
        may_wait: Mutex<Vec<bool>>,
    }

    impl IdleDriver for Recorder {
        fn try_wait(&self, _: Option<Duration>, may_wait: &dyn Fn() -> bool) -> bool {
            self.may_wait.lock().unwrap().push(may_wait());
            true
        }
        fn poll_now(&self) {}
        fn wake(&self) {}
        fn runner_enter(&self) {}
        fn runner_leave(&self) {}
    }

    #[test]
    fn the_driver_wait_does_not_block_while_our_own_queue_holds_a_task() {
        // A static, not a leaked box: AddressSanitizer's leak check runs on these tests.
        static DRIVER: Recorder = Recorder {
            may_wait: Mutex::new(Vec::new()),
        };
        let driver = &DRIVER;
        let parker = RunnerParker::new();
        parker.sleep(Some(driver), None, &|| true);
        parker.sleep(Some(driver), None, &|| false);
        parker.unparker().unpark();
        parker.sleep(Some(driver), None, &|| false);
        assert_eq!(
            *driver.may_wait.lock().unwrap(),
            [false, true, false],
            "a task on our own queue, then nothing, then our token"
        );
    }
}
