//! `interval`: immediate first tick, the period between ticks, skipped missed ticks.

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

#[test]
fn first_tick_is_immediate_then_one_per_period() {
    let start = Instant::now();
    let mut every = interval(10 * MS);
    let ticks = block_on::block_on(async {
        let mut ticks = Vec::new();
        for _ in 0..4 {
            ticks.push(every.tick().await);
            assert!(
                Instant::now() >= *ticks.last().unwrap(),
                "tick before its instant"
            );
        }
        ticks
    });
    assert!(ticks[0] - start < 5 * MS);
    for pair in ticks.windows(2) {
        assert_eq!(pair[1] - pair[0], 10 * MS);
    }
    assert!(start.elapsed() >= 30 * MS);
}

#[test]
fn missed_ticks_are_skipped_not_burst() {
    let start = Instant::now();
    let mut every = interval_at(start, 10 * MS);
    block_on::block_on(async {
        assert_eq!(every.tick().await, start);
        std::thread::sleep(35 * MS); // misses the ticks at +10, +20 and +30
        let late = every.tick().await; // at once: the first missed tick
        assert_eq!(late, start + 10 * MS);
        let next = every.tick().await; // back on the grid, after now
        assert_eq!(next, start + 40 * MS);
        assert!(Instant::now() >= next);
    });
}

#[test]
#[should_panic(expected = "period must be non-zero")]
fn zero_period_panics_with_a_clear_message() {
    let _ = interval(Duration::ZERO);
}
