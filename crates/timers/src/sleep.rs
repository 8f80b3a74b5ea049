//! [`Sleep`], [`sleep`] and [`sleep_until`]: a future that completes at a deadline.
//!
//! # Invariants
//!
//! * A `Sleep` gets at most one [`Entry`], on its first poll that finds the deadline still
//!   ahead, and reuses it across [`Sleep::reset`] when the driver no longer holds it. It takes
//!   its thread's spare entry if there is one ([`crate::spare`]) and allocates only if not;
//!   when dropped, it leaves its entry as the spare if nothing else holds it.
//! * It completes only once [`now()`](crate::now) `>= deadline`: either its own check on poll, or the
//!   driver's, which compares exact nanoseconds.
//! * A first poll (or the first after a reset) that finds the deadline passed completes at
//!   once, without the driver. Exception, to save a clock read (the largest single cost of a
//!   timer that is polled once and dropped): a `sleep(d)` with `d > 0` was `d` ahead when it
//!   was made, so its first poll registers without looking at the clock; should the deadline
//!   have passed meanwhile, the driver completes it as soon as it takes the registration in.
//! * Once it has returned `Ready` it keeps returning `Ready` (until a reset).
//! * Dropping it withdraws the entry; if the driver's wheel holds it, a cancel op removes it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::driver::{Op, driver};
use crate::entry::{Entry, FIRED, IDLE, QUEUED};

/// Stands in for deadlines too far away for `Instant` (about 30 years from now).
pub(crate) fn far_future() -> Instant {
    let now = Instant::now();
    now.checked_add(Duration::from_secs(30 * 365 * 24 * 3600))
        .or_else(|| now.checked_add(Duration::from_secs(24 * 3600)))
        .expect("timers: Instant cannot represent a time a day from now")
}

/// `start + d`, or [`far_future`] if that is not representable.
pub(crate) fn add_or_far(start: Instant, d: Duration) -> Instant {
    start.checked_add(d).unwrap_or_else(far_future)
}

/// Returns a future that completes `duration` from now.
///
/// The time is measured from this call, not from the first poll. A duration too large for
/// [`Instant`] (such as `Duration::MAX`) means "about 30 years": the sleep never completes in
/// practice, and nothing overflows. `sleep(Duration::ZERO)` is ready on its first poll. A
/// longer sleep registers with the driver on its first poll without reading the clock again
/// (it was `d` ahead when made); if its deadline has passed by then, the driver wakes it at
/// once, within microseconds, rather than the poll returning `Ready` directly.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// block_on::block_on(timers::sleep(Duration::from_millis(20)));
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    let mut sleep = Sleep::new(add_or_far(crate::now(), duration));
    sleep.ahead = !duration.is_zero();
    sleep
}

/// Returns a future that completes at `deadline`: at once if it has passed.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let deadline = Instant::now() + Duration::from_millis(20);
/// block_on::block_on(timers::sleep_until(deadline));
/// assert!(Instant::now() >= deadline);
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline)
}

/// The future returned by [`sleep`] and [`sleep_until`]: `Send`, `Unpin`, and usable under any
/// executor.
///
/// It never completes before its deadline, and is not rounded up to a coarse tick: all timers
/// share one driver thread that parks until the earliest exact deadline. Creating one costs
/// nothing; its first poll costs one allocation unless the deadline has already passed.
/// Dropping it before it fires frees that allocation and removes it from the driver.
///
/// ```
/// use std::time::Duration;
///
/// let mut sleep = timers::sleep(Duration::from_millis(10));
/// let deadline = sleep.deadline();
/// block_on::block_on(&mut sleep);
/// assert!(sleep.is_elapsed());
/// assert!(std::time::Instant::now() >= deadline);
/// ```
pub struct Sleep {
    deadline: Instant,
    entry: Option<Arc<Entry>>,
    /// Made by [`sleep`] with a non-zero duration and not polled yet: the deadline was ahead
    /// when it was made, so the first poll registers without reading the clock.
    ahead: bool,
}

impl Sleep {
    fn new(deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            entry: None,
            ahead: false,
        }
    }

    /// The instant at which this sleep completes.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// assert_eq!(timers::sleep_until(deadline).deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert!(timers::sleep(Duration::ZERO).is_elapsed());
    /// assert!(!timers::sleep(Duration::from_secs(60)).is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.entry.as_ref().is_some_and(|e| e.state() == FIRED) || self.deadline <= crate::now()
    }

    /// Moves the deadline to `deadline`, whether or not this sleep has completed.
    ///
    /// The old registration is withdrawn; the next poll registers the new deadline, reusing the
    /// allocation when the driver has let go of it (always, once the sleep has completed and
    /// its waker has run).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut sleep = timers::sleep(Duration::from_secs(3600));
    /// let soon = Instant::now() + Duration::from_millis(10);
    /// sleep.reset(soon);
    /// block_on::block_on(&mut sleep);
    /// assert!(Instant::now() >= soon);
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        self.ahead = false;
        if let Some(mut entry) = self.entry.take() {
            if let Some(unshared) = Arc::get_mut(&mut entry) {
                *unshared.state.get_mut() = IDLE;
                self.entry = Some(entry);
            } else {
                withdraw(entry);
            }
        }
    }

    /// The first poll (or the first after a reset) that finds the deadline ahead: register.
    #[cold]
    fn register(&mut self, cx: &mut Context<'_>) {
        if crate::hooks::simulating()
            && let Some(clock) = crate::hooks::clock()
        {
            let entry = self.queue(clock.ns(self.deadline), cx);
            clock.insert(entry.clone());
            return;
        }
        let driver = driver();
        let deadline = driver.ns(self.deadline);
        let entry = self.queue(deadline, cx);
        driver.submit(Op::Insert(entry.clone()), deadline);
    }

    /// Readies the entry for `deadline` (ns on the clock it registers with): `QUEUED`, with
    /// the task's waker. Its own idle entry, or this thread's spare, is set through
    /// `Arc::get_mut`, without the waker slot's lock; only without either is one allocated.
    #[inline(always)]
    fn queue(&mut self, deadline: u64, cx: &mut Context<'_>) -> &Arc<Entry> {
        let entry = match self.entry.take().or_else(crate::spare::take) {
            Some(mut entry) => {
                let unshared = Arc::get_mut(&mut entry).expect("an idle entry is not shared");
                unshared.deadline = deadline;
                let slot = unshared.waker.get_mut();
                if !slot.as_ref().is_some_and(|held| held.will_wake(cx.waker())) {
                    *slot = Some(cx.waker().clone());
                }
                *unshared.state.get_mut() = QUEUED;
                entry
            }
            None => {
                let entry = Entry::new(deadline, Some(cx.waker().clone()));
                entry
                    .state
                    .store(QUEUED, std::sync::atomic::Ordering::Relaxed);
                Arc::new(entry)
            }
        };
        self.entry.insert(entry)
    }
}

/// Cancels a shared entry: takes its insert back if the driver has not seen it yet, else
/// marks it cancelled and, if the driver's wheel holds it, sends a cancel op.
fn withdraw(entry: Arc<Entry>) {
    let state = entry.state();
    if state == FIRED || state == IDLE {
        // Done: the driver has taken the waker and let go of the entry (or is about to).
        // Or never registered (reset and not polled since): nobody else has seen it.
        // Either way it may become this thread's spare, if nothing else holds it.
        crate::spare::keep(entry);
        return;
    }
    if state == QUEUED && driver().take_back(&entry) {
        // The driver never saw it: ours alone again.
        crate::spare::keep(entry);
        return;
    }
    // The waker is user code: drop it here rather than wherever the entry is finally freed,
    // which may be the driver thread.
    drop(entry.take_waker());
    if entry.cancel() {
        // A virtual clock's timer is `REGISTERED` from its insert on (never `QUEUED`), so
        // only here can this be one: the clock takes it back, and no driver is involved.
        if crate::hooks::simulating() && crate::hooks::cancel(&entry) {
            return;
        }
        driver().cancel(entry);
    }
}

/// Every `Ready` is charged to the cooperative budget ([`wakers::budget`]): with the budget
/// spent it wakes the task and returns `Pending` instead, and is still ready next time.
impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match this.entry.as_ref().map(|e| e.state()) {
            Some(FIRED) => wakers::budget::charge(cx),
            None | Some(IDLE) => {
                if !std::mem::take(&mut this.ahead) && this.deadline <= crate::now() {
                    return wakers::budget::charge(cx);
                }
                this.register(cx);
                Poll::Pending
            }
            Some(_) => {
                let entry = this.entry.as_ref().expect("matched Some");
                if entry.poll_fired(cx.waker()) {
                    wakers::budget::charge(cx)
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            withdraw(entry);
        }
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("registered", &self.entry.is_some())
            .finish()
    }
}
