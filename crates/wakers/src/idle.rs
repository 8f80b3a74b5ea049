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
//! # Timers in the driver's wait
//!
//! A timer library may hand its timers to the driver instead of running a thread of its own:
//! it implements [`IdleTimers`] and [`install_timers`] itself. From then on the driver's
//! turns fire the timers: whoever holds the right to wait calls
//! [`before_wait`](IdleTimers::before_wait) before it waits (and waits no longer than the
//! deadline it returns) and [`after_wait`](IdleTimers::after_wait) after, and a turn that does
//! not block calls [`poll`](IdleTimers::poll). So a timer that fires for a thread waiting in
//! the driver ends that thread's wait by its timeout: one wake-up, no hand-off. A timer handed
//! in meanwhile with an earlier deadline ends the wait through [`IdleDriver::wake`].
//!
//! A driver that is installed must keep that promise for as long as the process runs: it
//! brackets every wait with the two calls, and some thread turns it again soon after any turn
//! (a thread of its own if need be), since between turns nobody else fires a timer.
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
use std::time::{Duration, Instant};

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

/// Timers fired by the installed [`IdleDriver`]'s turns (see the
/// [module docs](self#timers-in-the-drivers-wait)). Only the thread that holds the driver's
/// right to wait calls these, so calls never overlap.
pub trait IdleTimers: Send + Sync {
    /// Before a wait: takes the timers handed in since the last call, fires those that are due
    /// (their wakers run on the calling thread) and returns the deadline the wait must end by
    /// (`None`: no timer pending). Until [`after_wait`](IdleTimers::after_wait), a timer
    /// handed in with an earlier deadline ends the wait through [`IdleDriver::wake`].
    ///
    /// ```
    /// # use std::time::Instant;
    /// # struct NoTimers;
    /// # impl wakers::idle::IdleTimers for NoTimers {
    /// #     fn before_wait(&self) -> Option<Instant> { None }
    /// #     fn after_wait(&self) {}
    /// #     fn poll(&self) {}
    /// # }
    /// use wakers::idle::IdleTimers;
    /// assert_eq!(NoTimers.before_wait(), None); // wait for as long as there is no event
    /// NoTimers.after_wait();
    /// ```
    fn before_wait(&self) -> Option<Instant>;

    /// After the wait [`before_wait`](IdleTimers::before_wait) prepared (or a decision not to
    /// wait after all): fires what is due now.
    ///
    /// ```
    /// # use std::time::Instant;
    /// # struct NoTimers;
    /// # impl wakers::idle::IdleTimers for NoTimers {
    /// #     fn before_wait(&self) -> Option<Instant> { None }
    /// #     fn after_wait(&self) {}
    /// #     fn poll(&self) {}
    /// # }
    /// use wakers::idle::IdleTimers;
    /// NoTimers.before_wait();
    /// NoTimers.after_wait();
    /// ```
    fn after_wait(&self);

    /// A turn that does not block: fires what is due and takes the timers handed in, if there
    /// are any; cheap when there are none (a busy thread calls it every so many tasks).
    ///
    /// ```
    /// # use std::time::Instant;
    /// # struct NoTimers;
    /// # impl wakers::idle::IdleTimers for NoTimers {
    /// #     fn before_wait(&self) -> Option<Instant> { None }
    /// #     fn after_wait(&self) {}
    /// #     fn poll(&self) {}
    /// # }
    /// use wakers::idle::IdleTimers;
    /// NoTimers.poll();
    /// ```
    fn poll(&self);
}

static TIMERS: OnceLock<&'static dyn IdleTimers> = OnceLock::new();

/// Hands `timers` to the installed [`IdleDriver`]'s turns. Only the first call installs; it
/// returns whether this one did. Call it only once a driver is [`installed`] (the driver's
/// promise is what lets the timers do without a thread), then [`wake`](IdleDriver::wake) the
/// driver, so that a wait that began before the install looks at the timers.
///
/// ```
/// # use std::time::Instant;
/// struct NoTimers;
/// impl wakers::idle::IdleTimers for NoTimers {
///     fn before_wait(&self) -> Option<Instant> { None }
///     fn after_wait(&self) {}
///     fn poll(&self) {}
/// }
/// static T: NoTimers = NoTimers;
/// assert!(wakers::idle::install_timers(&T));
/// assert!(wakers::idle::timers().is_some());
/// ```
pub fn install_timers(timers: &'static dyn IdleTimers) -> bool {
    let mut installed = false;
    TIMERS.get_or_init(|| {
        installed = true;
        timers
    });
    installed
}

/// The timers the installed driver fires, if any: one atomic load.
///
/// ```
/// // Nothing in this process installed any.
/// assert!(wakers::idle::timers().is_none());
/// ```
#[inline]
pub fn timers() -> Option<&'static dyn IdleTimers> {
    TIMERS.get().copied()
}
