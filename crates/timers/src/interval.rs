//! [`Interval`] and [`interval`]: a tick at a fixed period.
//!
//! It is also a `futures_core::Stream` of the same ticks, which never ends.
//!
//! # Missed ticks
//!
//! If the owner is too slow and one or more ticks were due while it was away, the next
//! [`tick`](Interval::tick) completes at once (it returns the earliest missed tick's instant);
//! what comes after it is the [`MissedTickBehavior`]:
//!
//! * `Skip` (the default): the schedule continues on its original grid, and the ticks in
//!   between are skipped, not delivered in a burst. This is what periodic work usually wants
//!   (a heartbeat or a poll loop must not fire ten times in a row after a stall) and matches
//!   Go's `time.Ticker`.
//! * `Burst`: every missed tick is delivered, back to back, until the schedule has caught up
//!   (tokio's default).
//! * `Delay`: the next tick is one period after the late one was delivered: the grid moves.
//!
//! # Invariants
//!
//! * `sleep` is due at the next tick. With `Skip` and `Burst` every tick is a point of the grid
//!   `start + k * period`; with `Delay`, of the grid restarted at the last late delivery.
//! * Every tick returned is strictly later than the one before.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_core::Stream;

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
    interval_at(crate::now(), period)
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
        missed: MissedTickBehavior::default(),
    }
}

/// What an [`Interval`] does after ticks were missed (the owner was away when they fell due).
/// In every case the first late tick completes at once, with its scheduled instant.
///
/// ```
/// use std::time::{Duration, Instant};
/// use timers::MissedTickBehavior;
///
/// let ms = Duration::from_millis;
/// // The third tick of a 10 ms interval stalled for 25 ms after its first, as an offset
/// // from its start.
/// let after_a_stall = |behavior| {
///     let start = Instant::now();
///     let mut every = timers::interval_at(start, ms(10));
///     every.set_missed_tick_behavior(behavior);
///     block_on::block_on(async {
///         every.tick().await;
///         std::thread::sleep(ms(25)); // +10 and +20 fall due meanwhile
///         assert_eq!(every.tick().await, start + ms(10)); // at once
///         every.tick().await - start
///     })
/// };
/// // Burst: +20 at once too.
/// assert_eq!(after_a_stall(MissedTickBehavior::Burst), ms(20));
/// // Skip: the next grid point after the stall (+30, or later if the stall was longer).
/// let skip = after_a_stall(MissedTickBehavior::Skip);
/// assert!(skip >= ms(30) && skip.as_nanos() % ms(10).as_nanos() == 0);
/// // Delay: a full period after the late tick was delivered.
/// assert!(after_a_stall(MissedTickBehavior::Delay) >= ms(35));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MissedTickBehavior {
    /// Deliver every missed tick, back to back, until caught up with the original grid.
    Burst,
    /// The next tick is one period after the late tick was delivered.
    Delay,
    /// The next tick is the first point of the original grid that is still ahead; the missed
    /// ticks in between are dropped. The default.
    #[default]
    Skip,
}

/// Ticks at a fixed period; see [`interval`]. `Send + Unpin`, and a
/// `futures_core::Stream<Item = Instant>` that never ends.
///
/// # Missed ticks
///
/// If ticks fell due while the owner was busy elsewhere, the next [`tick`](Interval::tick)
/// completes at once with the first missed tick's instant. By default
/// ([`MissedTickBehavior::Skip`]) the schedule then goes on from the next point of its
/// original grid (`start + k * period`) that is still ahead: the other missed ticks are
/// skipped, never delivered in a burst, and the grid does not drift.
/// [`set_missed_tick_behavior`](Interval::set_missed_tick_behavior) chooses another way.
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
    missed: MissedTickBehavior,
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
        let next = next_tick(tick, self.period, crate::now(), self.missed);
        self.sleep.reset(next);
        Poll::Ready(tick)
    }

    /// Chooses what happens after missed ticks (default [`MissedTickBehavior::Skip`]).
    ///
    /// ```
    /// use timers::MissedTickBehavior;
    ///
    /// let mut every = timers::interval(std::time::Duration::from_secs(1));
    /// every.set_missed_tick_behavior(MissedTickBehavior::Burst);
    /// assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// What happens after missed ticks; see [`MissedTickBehavior`].
    ///
    /// ```
    /// let every = timers::interval(std::time::Duration::from_secs(1));
    /// assert_eq!(every.missed_tick_behavior(), timers::MissedTickBehavior::Skip);
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
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
        self.sleep.reset(add_or_far(crate::now(), self.period));
    }
}

/// The tick after `tick`, delivered at `now`: one period later if that is still ahead of
/// `now`; otherwise, ticks were missed, and `missed` decides.
fn next_tick(tick: Instant, period: Duration, now: Instant, missed: MissedTickBehavior) -> Instant {
    let next = add_or_far(tick, period);
    if next > now {
        return next;
    }
    match missed {
        MissedTickBehavior::Burst => next,
        MissedTickBehavior::Delay => add_or_far(now, period),
        MissedTickBehavior::Skip => next_grid_point(tick, period, now),
    }
}

/// The first point of the grid `tick + k * period` strictly after `now` (`now >= tick`).
fn next_grid_point(tick: Instant, period: Duration, now: Instant) -> Instant {
    // Missed ticks: skip to the first grid point after `now`.
    let behind = now.duration_since(tick).as_nanos();
    let periods = behind / period.as_nanos() + 1;
    let ahead = period.as_nanos().saturating_mul(periods);
    let secs = u64::try_from(ahead / 1_000_000_000).unwrap_or(u64::MAX);
    let nanos = (ahead % 1_000_000_000) as u32;
    tick.checked_add(Duration::new(secs, nanos))
        .unwrap_or_else(far_future)
}

/// The ticks as a stream: the same instants [`Interval::tick`] gives. It never ends.
///
/// ```
/// use futures::StreamExt;
/// use std::time::Duration;
///
/// let ticks: Vec<_> = block_on::block_on(
///     timers::interval(Duration::from_millis(5)).take(3).collect::<Vec<_>>(),
/// );
/// // The ticks stay on the 5 ms grid (a loaded machine may skip a tick, never shift one).
/// let step = (ticks[2] - ticks[0]).as_nanos();
/// assert!(step >= 10_000_000 && step % 5_000_000 == 0);
/// ```
impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("period", &self.period)
            .field("missed_tick_behavior", &self.missed)
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
        for missed in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            assert_eq!(next_tick(t, p, t + Duration::from_millis(3), missed), t + p);
        }
    }

    #[test]
    fn missed_ticks_are_skipped_and_the_grid_kept() {
        let t = Instant::now();
        let p = Duration::from_millis(10);
        let skip = MissedTickBehavior::Skip;
        // 35 ms late: ticks at +10, +20, +30 were missed; the next is +40.
        assert_eq!(
            next_tick(t, p, t + Duration::from_millis(35), skip),
            t + 4 * p
        );
        // Exactly on a grid point counts as missed: the next is strictly after now.
        assert_eq!(
            next_tick(t, p, t + Duration::from_millis(20), skip),
            t + 3 * p
        );
    }

    #[test]
    fn burst_delivers_every_missed_grid_point() {
        let t = Instant::now();
        let p = Duration::from_millis(10);
        let now = t + Duration::from_millis(35);
        let burst = MissedTickBehavior::Burst;
        assert_eq!(next_tick(t, p, now, burst), t + p);
        assert_eq!(next_tick(t + p, p, now, burst), t + 2 * p);
        assert_eq!(next_tick(t + 3 * p, p, now, burst), t + 4 * p); // caught up
    }

    #[test]
    fn delay_restarts_the_grid_at_the_late_delivery() {
        let t = Instant::now();
        let p = Duration::from_millis(10);
        let now = t + Duration::from_millis(35);
        assert_eq!(next_tick(t, p, now, MissedTickBehavior::Delay), now + p);
    }

    #[test]
    fn skip_is_the_default() {
        assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Skip);
    }

    #[test]
    fn huge_period_does_not_overflow() {
        let t = Instant::now();
        let year = Duration::from_secs(365 * 24 * 3600);
        for missed in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            assert!(next_tick(t, Duration::MAX, t, missed) > t + year);
            assert!(next_tick(t, Duration::MAX, t + year, missed) > t + year);
        }
    }
}
