//! `Interval` as a `futures_core::Stream<Item = Instant>` (this file does not compile if it
//! stops being one), and the three missed-tick behaviours seen through it. Ticks missed
//! because the start lies in the past complete at once, so the instants below do not depend
//! on how loaded the machine is.

use std::time::{Duration, Instant};

use futures::StreamExt;
use futures_core::Stream;
use timers::{Interval, MissedTickBehavior, interval_at};

const MS: Duration = Duration::from_millis(1);

fn assert_stream_of_instants<S: Stream<Item = Instant> + Send + Unpin>(_: &S) {}

/// An interval with a 10 ms period whose grid started 35 ms ago: +0, +10, +20 and +30 are
/// due. Returns it and its start.
fn started_35_ms_ago(missed: MissedTickBehavior) -> (Interval, Instant) {
    let start = Instant::now()
        .checked_sub(35 * MS)
        .expect("the machine has been up for 35 ms");
    let mut every = interval_at(start, 10 * MS);
    every.set_missed_tick_behavior(missed);
    (every, start)
}

#[test]
fn interval_is_a_stream_of_its_ticks() {
    let (every, start) = started_35_ms_ago(MissedTickBehavior::Burst);
    assert_stream_of_instants(&every);
    assert_eq!(every.size_hint(), (usize::MAX, None), "it never ends");
    let ticks: Vec<Instant> = block_on::block_on(every.take(5).collect());
    let expected: Vec<Instant> = (0..5).map(|k| start + k * 10 * MS).collect();
    assert_eq!(ticks, expected);
}

#[test]
fn burst_delivers_every_missed_tick() {
    let (mut every, start) = started_35_ms_ago(MissedTickBehavior::Burst);
    let ticks = block_on::block_on(async {
        let mut ticks = Vec::new();
        for _ in 0..4 {
            ticks.push(every.next().await.unwrap());
        }
        ticks
    });
    assert_eq!(
        ticks,
        [start, start + 10 * MS, start + 20 * MS, start + 30 * MS]
    );
}

#[test]
fn skip_drops_the_missed_ticks_and_keeps_the_grid() {
    let (mut every, start) = started_35_ms_ago(MissedTickBehavior::Skip);
    block_on::block_on(async {
        assert_eq!(every.next().await, Some(start));
        let delivered = Instant::now();
        let next = every.next().await.unwrap();
        assert!(next > delivered, "a missed tick came in a burst");
        assert!(
            (next - start)
                .as_nanos()
                .is_multiple_of((10 * MS).as_nanos())
        );
    });
}

#[test]
fn delay_waits_a_full_period_after_the_late_tick() {
    let (mut every, start) = started_35_ms_ago(MissedTickBehavior::Delay);
    block_on::block_on(async {
        let before = Instant::now();
        // The first tick is 35 ms late: delivered at once, and the grid restarts there.
        assert_eq!(every.next().await, Some(start));
        let next = every.next().await.unwrap();
        assert!(next >= before + 10 * MS);
        assert!(Instant::now() >= next);
    });
}

#[test]
fn the_default_is_todays_skip() {
    let every = timers::interval(10 * MS);
    assert_eq!(every.missed_tick_behavior(), MissedTickBehavior::Skip);
}
