//! [`Interval`] and [`interval`]: a tick at a fixed period.
//!
//! # Missed ticks
//!
//! If the owner is too slow and one or more ticks were due while it was away, the next
//! [`tick`](Interval::tick) completes at once (it returns the earliest missed tick's instant)
//! and the schedule then continues on its original grid: the ticks in between are skipped, not
//! delivered in a burst. This is what periodic work usually wants (a heartbeat or a poll loop
//! must not fire ten times in a row after a stall) and matches Go's `time.Ticker`; tokio's
//! default `Burst` behaviour instead delivers every missed tick back to back.
//!
//! # Invariants
//!
//! * `sleep` is due at the next tick; the grid is `start + k * period`.
//! * Every tick returned is a grid point, strictly later than the one before.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::sleep::{Sleep, add_or_far, far_future, sleep_until};

/// Returns an interval whose first tick is now and later ticks every `period`.
///
/// # Panics
///
/// Panics if `period` is zero.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now();
/// let mut every = timers::interval(Duration::from_millis(10));
/// block_on::block_on(async {
///     every.tick().await; // at once
///     every.tick().await; // 10 ms later
///     every.tick().await; // 20 ms after the start
/// });
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// ```
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "timers::interval: the period must be non-zero, got Duration::ZERO"
    );
    interval_at(Instant::now(), period)
}

/// Returns an interval whose first tick is at `start` and later ticks every `period`.
///
/// # Panics
///
/// Panics if `period` is zero.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let start = Instant::now() + Duration::from_millis(10);
/// let mut every = timers::interval_at(start, Duration::from_secs(1));
/// assert_eq!(block_on::block_on(every.tick()), start);
/// ```
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "timers::interval_at: the period must be non-zero, got Duration::ZERO"
    );
    Interval {
        sleep: sleep_until(start),
        period,
    }
}

/// Ticks at a fixed period; see [`interval`]. `Send + Unpin`.
///
/// # Missed ticks
///
/// If ticks fell due while the owner was busy elsewhere, the next [`tick`](Interval::tick)
/// completes at once with the first missed tick's instant, and the schedule then goes on from
/// the next point of its original grid (`start + k * period`) that is still ahead: the other
/// missed ticks are skipped, never delivered in a burst, and the grid does not drift.
///
/// ```
/// use std::time::{Duration, Instant};
///
/// let ms = Duration::from_millis;
/// let start = Instant::now();
/// let mut every = timers::interval_at(start, ms(100));
/// block_on::block_on(async {
///     every.tick().await;
///     std::thread::sleep(ms(250)); // misses +100 and +200
///     assert_eq!(every.tick().await, start + ms(100)); // at once
///     assert_eq!(every.tick().await, start + ms(300)); // back on the grid
/// });
/// ```
pub struct Interval {
    sleep: Sleep,
    period: Duration,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// The first tick completes at once (at the start given to [`interval_at`]). If ticks were
    /// missed, this completes at once and the ticks missed in between are skipped.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut every = timers::interval(Duration::from_millis(100));
    /// let (a, b) = block_on::block_on(async { (every.tick().await, every.tick().await) });
    /// assert_eq!(b - a, Duration::from_millis(100));
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick: the building block of [`tick`](Interval::tick) for hand-written
    /// futures.
    ///
    /// ```
    /// use std::task::{Context, Poll};
    ///
    /// let mut every = timers::interval(std::time::Duration::from_secs(60));
    /// let waker = wakers::noop_waker();
    /// let mut cx = Context::from_waker(&waker);
    /// assert!(every.poll_tick(&mut cx).is_ready()); // the first tick is immediate
    /// assert!(every.poll_tick(&mut cx).is_pending());
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let tick = self.sleep.deadline();
        self.sleep
            .reset(next_tick(tick, self.period, Instant::now()));
        Poll::Ready(tick)
    }

    /// The time between ticks.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert_eq!(timers::interval(Duration::from_secs(2)).period(), Duration::from_secs(2));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the schedule: the next tick is one period from now.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut every = timers::interval(Duration::from_millis(10));
    /// every.reset();
    /// let before = Instant::now();
    /// block_on::block_on(every.tick());
    /// assert!(before.elapsed() >= Duration::from_millis(9));
    /// ```
    pub fn reset(&mut self) {
        self.sleep.reset(add_or_far(Instant::now(), self.period));
    }
}

/// The first grid point after `tick` that is still ahead of `now` (or is the very next one).
fn next_tick(tick: Instant, period: Duration, now: Instant) -> Instant {
    let next = add_or_far(tick, period);
    if next > now {
        return next;
    }
    // Missed ticks: skip to the first grid point after `now`.
    let behind = now.duration_since(tick).as_nanos();
    let periods = behind / period.as_nanos() + 1;
    let ahead = period.as_nanos().saturating_mul(periods);
    let secs = u64::try_from(ahead / 1_000_000_000).unwrap_or(u64::MAX);
    let nanos = (ahead % 1_000_000_000) as u32;
    tick.checked_add(Duration::new(secs, nanos))
        .unwrap_or_else(far_future)
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("period", &self.period)
            .field("next", &self.sleep.deadline())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_tick_adds_one_period() {
        let t = Instant::now();
        let p = Duration::from_millis(10);
        assert_eq!(next_tick(t, p, t + Duration::from_millis(3)), t + p);
    }

    #[test]
    fn missed_ticks_are_skipped_and_the_grid_kept() {
        let t = Instant::now();
        let p = Duration::from_millis(10);
        // 35 ms late: ticks at +10, +20, +30 were missed; the next is +40.
        assert_eq!(next_tick(t, p, t + Duration::from_millis(35)), t + 4 * p);
        // Exactly on a grid point counts as missed: the next is strictly after now.
        assert_eq!(next_tick(t, p, t + Duration::from_millis(20)), t + 3 * p);
    }

    #[test]
    fn huge_period_does_not_overflow() {
        let t = Instant::now();
        assert!(next_tick(t, Duration::MAX, t) > t + Duration::from_secs(365 * 24 * 3600));
    }
}
