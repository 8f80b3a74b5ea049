//! `interval`: immediate first tick, the period between ticks, skipped missed ticks.
//!
//! The bodies read the clock through `timers::now()` and run through `block_on::block_on`:
//! the `sim` crate includes this file and runs it again under its simulator, on virtual time.

use std::time::{Duration, Instant};

use timers::{Interval, interval, interval_at};

const MS: Duration = Duration::from_millis(1);

#[test]
fn is_send_and_unpin_and_tick_is_send() {
    fn check<T: Send + Unpin>() {}
    check::<Interval>();
    fn send<F: Send>(_: F) {}
    let mut i = interval(MS);
    send(i.tick());
}

/// Whether `t` is a point of the grid `start + k * period`.
fn on_grid(t: Instant, start: Instant, period: Duration) -> bool {
    (t - start).as_nanos().is_multiple_of(period.as_nanos())
}

#[test]
fn first_tick_is_immediate_then_one_per_period() {
    let start = timers::now();
    let mut every = interval_at(start, 10 * MS);
    let ticks = block_on::block_on(async {
        let mut ticks = Vec::new();
        for _ in 0..4 {
            ticks.push(every.tick().await);
            assert!(
                timers::now() >= *ticks.last().unwrap(),
                "tick before its instant"
            );
        }
        ticks
    });
    assert_eq!(ticks[0], start);
    for pair in ticks.windows(2) {
        // One period apart unless this thread was descheduled for longer than a period.
        assert!(pair[1] > pair[0] && on_grid(pair[1], start, 10 * MS));
    }
    // The last tick was awaited no earlier than its instant (checked inside).
    assert!(ticks[3] - start >= 30 * MS);
}

#[test]
fn missed_ticks_are_skipped_not_burst() {
    let period = 10 * MS;
    let start = timers::now();
    let mut every = interval_at(start, period);
    block_on::block_on(async {
        assert_eq!(every.tick().await, start);
        timers::sleep(35 * MS).await; // misses the ticks at +10, +20 and +30
        let stalled = timers::now();
        let late = every.tick().await; // at once: a missed tick
        assert!(late < stalled && on_grid(late, start, period));
        let next = every.tick().await; // back on the grid, after the stall
        assert!(next > stalled && on_grid(next, start, period));
        assert!(
            next - late > period,
            "missed ticks were delivered in a burst"
        );
        assert!(timers::now() >= next);
    });
}

#[test]
#[should_panic(expected = "period must be non-zero")]
fn zero_period_panics_with_a_clear_message() {
    let _ = interval(Duration::ZERO);
}
