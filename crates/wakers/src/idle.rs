//! The seam between an executor's idle threads and an event driver (the I/O reactor): an
//! executor thread with nothing to do may block *in* the driver instead of on its own parker,
//! so the driver's events are delivered on that thread and the tasks they wake are run there,
//! with no hand-off to another thread.
//!
//! The executor and the driver do not know each other: both depend on this crate only. The
//! driver implements [`IdleDriver`] and [`install`]s itself once, process-wide; an executor
//! looks it up with [`installed`] (one atomic load).
//!
//! # The contract
//!
//! * **One waiter at a time.** [`IdleDriver::try_wait`] takes the right to wait if it is free,
//!   asks the caller once more whether it may wait (`may_wait`, called with the right held:
//!   the caller looks at its wake-up token there), blocks until an event, a
//!   [`wake`](IdleDriver::wake) or the timeout, delivers what it found (runs the wakers of the
//!   ready tasks, on the calling thread) and returns `true`. If another thread holds the
//!   right, it returns `false` at once and the caller sleeps some other way.
//! * **`wake` ends the current wait, or the next one.** A `wake` while nobody waits makes the
//!   next [`try_wait`](IdleDriver::try_wait) return at once. Wakes coalesce: any number of them
//!   before the waiter comes back cost one system call. A waiter that comes back must look at
//!   whatever it waited for before it waits again (a wake that found the last one still on its
//!   way costs nothing and relies on that look).
//! * **Accounting.** An executor thread that may wait in the driver says so with
//!   [`runner_enter`](IdleDriver::runner_enter) and [`runner_leave`](IdleDriver::runner_leave),
//!   so the driver can keep a thread of its own for when no such thread exists.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::time::Duration;
//! use wakers::idle::IdleDriver;
//!
//! /// A driver with no events: waits only for its timeout.
//! struct Quiet(AtomicUsize);
//!
//! impl IdleDriver for Quiet {
//!     fn try_wait(&self, timeout: Option<Duration>, may_wait: &dyn Fn() -> bool) -> bool {
//!         if may_wait() {
//!             std::thread::sleep(timeout.unwrap_or(Duration::ZERO));
//!         }
//!         self.0.fetch_add(1, Ordering::Relaxed);
//!         true
//!     }
//!     fn poll_now(&self) {}
//!     fn wake(&self) {}
//!     fn runner_enter(&self) {}
//!     fn runner_leave(&self) {}
//! }
//!
//! static QUIET: Quiet = Quiet(AtomicUsize::new(0));
//! assert!(wakers::idle::install(&QUIET));
//! let driver = wakers::idle::installed().expect("just installed");
//! assert!(driver.try_wait(Some(Duration::from_millis(1)), &|| true));
//! assert_eq!(QUIET.0.load(Ordering::Relaxed), 1);
//! ```

use std::sync::OnceLock;
use std::time::Duration;

/// A driver an idle executor thread may block in (see the [module docs](self)).
pub trait IdleDriver: Send + Sync {
    /// Takes the right to wait if it is free; then, unless `may_wait()` (called with the right
    /// held) says no, blocks until an event, a [`wake`](IdleDriver::wake) or `timeout`
    /// (`None`: no timeout); delivers the events and returns `true`. Returns `false` at once
    /// if another thread holds the right to wait.
    ///
    /// `may_wait` is the caller's last look at its own wake-up token: a wake that was meant
    /// for it but ended another thread's wait (the one that held the right before) is seen
    /// there.
    ///
    /// ```
    /// # struct Never;
    /// # impl wakers::idle::IdleDriver for Never {
    /// #     fn try_wait(&self, _: Option<std::time::Duration>, _: &dyn Fn() -> bool) -> bool { false }
    /// #     fn poll_now(&self) {}
    /// #     fn wake(&self) {}
    /// #     fn runner_enter(&self) {}
    /// #     fn runner_leave(&self) {}
    /// # }
    /// use wakers::idle::IdleDriver;
    /// // A driver whose right to wait is always taken.
    /// assert!(!Never.try_wait(None, &|| true));
    /// ```
    fn try_wait(&self, timeout: Option<Duration>, may_wait: &dyn Fn() -> bool) -> bool;

    /// A turn that does not block: delivers whatever is ready now, if the right to wait is
    /// free (otherwise its holder delivers). For busy threads, so their I/O is not starved.
    ///
    /// ```
    /// # struct Never;
    /// # impl wakers::idle::IdleDriver for Never {
    /// #     fn try_wait(&self, _: Option<std::time::Duration>, _: &dyn Fn() -> bool) -> bool { false }
    /// #     fn poll_now(&self) {}
    /// #     fn wake(&self) {}
    /// #     fn runner_enter(&self) {}
    /// #     fn runner_leave(&self) {}
    /// # }
    /// use wakers::idle::IdleDriver;
    /// Never.poll_now(); // returns at once, whatever the driver holds
    /// ```
    fn poll_now(&self);

    /// Ends the current wait in [`try_wait`](IdleDriver::try_wait), or the next one if nobody
    /// waits. Coalesced: wakes before the waiter comes back cost one system call in all.
    ///
    /// ```
    /// # struct Never;
    /// # impl wakers::idle::IdleDriver for Never {
    /// #     fn try_wait(&self, _: Option<std::time::Duration>, _: &dyn Fn() -> bool) -> bool { false }
    /// #     fn poll_now(&self) {}
    /// #     fn wake(&self) {}
    /// #     fn runner_enter(&self) {}
    /// #     fn runner_leave(&self) {}
    /// # }
    /// use wakers::idle::IdleDriver;
    /// Never.wake();
    /// ```
    fn wake(&self);

    /// An executor thread that may call [`try_wait`](IdleDriver::try_wait) starts.
    ///
    /// ```
    /// # struct Never;
    /// # impl wakers::idle::IdleDriver for Never {
    /// #     fn try_wait(&self, _: Option<std::time::Duration>, _: &dyn Fn() -> bool) -> bool { false }
    /// #     fn poll_now(&self) {}
    /// #     fn wake(&self) {}
    /// #     fn runner_enter(&self) {}
    /// #     fn runner_leave(&self) {}
    /// # }
    /// use wakers::idle::IdleDriver;
    /// Never.runner_enter();
    /// Never.runner_leave();
    /// ```
    fn runner_enter(&self);

    /// That thread ends (one call per [`runner_enter`](IdleDriver::runner_enter)).
    ///
    /// ```
    /// # struct Never;
    /// # impl wakers::idle::IdleDriver for Never {
    /// #     fn try_wait(&self, _: Option<std::time::Duration>, _: &dyn Fn() -> bool) -> bool { false }
    /// #     fn poll_now(&self) {}
    /// #     fn wake(&self) {}
    /// #     fn runner_enter(&self) {}
    /// #     fn runner_leave(&self) {}
    /// # }
    /// use wakers::idle::IdleDriver;
    /// Never.runner_enter();
    /// Never.runner_leave();
    /// ```
    fn runner_leave(&self);
}

static DRIVER: OnceLock<&'static dyn IdleDriver> = OnceLock::new();

/// Installs `driver` as the process's idle driver. Only the first call installs; it returns
/// whether this one did.
///
/// ```
/// # struct Never;
/// # impl wakers::idle::IdleDriver for Never {
/// #     fn try_wait(&self, _: Option<std::time::Duration>, _: &dyn Fn() -> bool) -> bool { false }
/// #     fn poll_now(&self) {}
/// #     fn wake(&self) {}
/// #     fn runner_enter(&self) {}
/// #     fn runner_leave(&self) {}
/// # }
/// static A: Never = Never;
/// static B: Never = Never;
/// assert!(wakers::idle::install(&A));
/// assert!(!wakers::idle::install(&B), "only the first one counts");
/// ```
pub fn install(driver: &'static dyn IdleDriver) -> bool {
    let mut installed = false;
    DRIVER.get_or_init(|| {
        installed = true;
        driver
    });
    installed
}

/// The installed idle driver, if any: one atomic load.
///
/// ```
/// // Nothing in this process installed one.
/// assert!(wakers::idle::installed().is_none());
/// ```
#[inline]
pub fn installed() -> Option<&'static dyn IdleDriver> {
    DRIVER.get().copied()
}
