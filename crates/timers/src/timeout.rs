//! [`Timeout`], [`timeout`], [`timeout_at`] and [`Elapsed`]: give up on a future at a deadline.
//!
//! # Invariants
//!
//! * The inner future is polled first, so a future that is ready wins even if the deadline has
//!   passed too; the sleep is polled only while the future is pending.
//! * `future` is structurally pinned (see the `SAFETY` comment in `poll`); `sleep` is `Unpin`.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::sleep::{Sleep, sleep, sleep_until};

/// Runs `future`, giving up `duration` from now.
///
/// Resolves to `Ok(output)` if the future completes first, or `Err(Elapsed)` once the time is
/// up; the future is then dropped with the `Timeout`.
///
/// ```
/// use std::time::Duration;
///
/// let quick = timers::timeout(Duration::from_secs(5), async { 7 });
/// assert_eq!(block_on::block_on(quick), Ok(7));
///
/// let slow = timers::timeout(Duration::from_millis(10), timers::sleep(Duration::from_secs(60)));
/// assert!(block_on::block_on(slow).is_err());
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

/// Runs `future`, giving up at `deadline`.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let deadline = Instant::now() + Duration::from_millis(10);
/// let result = block_on::block_on(timers::timeout_at(deadline, std::future::pending::<()>()));
/// assert_eq!(result, Err(timers::Elapsed::new()));
/// assert!(Instant::now() >= deadline);
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
    }
}

/// The future returned by [`timeout`] and [`timeout_at`].
///
/// `Send` when `F` is, `Unpin` when `F` is.
///
/// ```
/// use std::time::Duration;
///
/// fn assert_send_unpin<T: Send + Unpin>(_: &T) {}
///
/// let t = timers::timeout(Duration::from_secs(1), std::future::ready("done"));
/// assert_send_unpin(&t);
/// assert_eq!(block_on::block_on(t), Ok("done"));
/// ```
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

impl<F> Timeout<F> {
    /// The wrapped future.
    ///
    /// ```
    /// let t = timers::timeout(std::time::Duration::from_secs(1), std::future::ready(3));
    /// let _inner: &std::future::Ready<i32> = t.get_ref();
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The wrapped future, mutably.
    ///
    /// ```
    /// let mut t = timers::timeout(std::time::Duration::from_secs(1), std::future::ready(3));
    /// let _inner: &mut std::future::Ready<i32> = t.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Gives the wrapped future back, dropping the timer.
    ///
    /// ```
    /// let t = timers::timeout(std::time::Duration::from_secs(1), std::future::ready(3));
    /// assert_eq!(block_on::block_on(t.into_inner()), 3);
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }

    /// The instant at which this timeout gives up.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(timers::timeout_at(deadline, async {}).deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned: we never move it out of a pinned `Timeout`
        // (`into_inner` and `get_mut` need an unpinned one), `Timeout` has no `Drop` impl, and
        // it is `Unpin` only when `F` is (`Sleep` is always `Unpin`). `sleep` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above; `this.future` stays where it is for as long as `self` is pinned.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        Pin::new(&mut this.sleep)
            .poll(cx)
            .map(|()| Err(Elapsed(())))
    }
}

/// The error of a [`Timeout`] whose deadline passed before its future completed.
///
/// ```
/// let e = timers::Elapsed::new();
/// assert_eq!(e.to_string(), "deadline has elapsed");
/// let _: &dyn std::error::Error = &e;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    /// Makes the error, for code that wraps a [`Timeout`] of its own.
    ///
    /// ```
    /// assert_eq!(timers::Elapsed::new(), timers::Elapsed::new());
    /// ```
    pub fn new() -> Elapsed {
        Elapsed(())
    }
}

impl Default for Elapsed {
    fn default() -> Self {
        Elapsed::new()
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl Error for Elapsed {}
