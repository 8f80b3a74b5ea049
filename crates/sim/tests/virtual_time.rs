//! Virtual time: jumps to the next deadline, fires in deadline order, ties by the seed.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sim::{Builder, Strategy};

const SECOND: Duration = Duration::from_secs(1);
const DAY: Duration = Duration::from_secs(24 * 3600);

#[test]
fn an_hour_of_sleep_moves_now_by_exactly_an_hour() {
    let sim = Builder::new().build();
    let (before, after) = sim.block_on(async {
        let before = timers::now();
        timers::sleep(Duration::from_secs(3600)).await;
        (before, timers::now())
    });
    assert_eq!(after - before, Duration::from_secs(3600));
    assert_eq!(sim.elapsed(), Duration::from_secs(3600));
}

/// 1 000 timers spread over a day, spawned in an order unrelated to their deadlines (some
/// share one), plus a root that sleeps the whole day. A simulator that really slept would
/// time the test out; this one takes milliseconds of wall time (not asserted: the machine may
/// be loaded, and the day is what the CI timeout catches).
#[test]
fn a_simulated_day_with_1000_interleaved_timers_fires_them_in_deadline_order() {
    for seed in [0, 1, 2] {
        let sim = Builder::new().seed(seed).build();
        let fired = sim.block_on(async {
            let start = timers::now();
            let fired: Arc<Mutex<Vec<(Duration, Duration)>>> = Arc::default();
            for i in 0..1000u64 {
                // A permutation of 0..1000 (7919 is prime), folded so that pairs share a
                // deadline: every deadline but the extremes is used twice.
                let slot = (i * 7919) % 1000 / 2;
                let delay = DAY / 500 * u32::try_from(slot).unwrap() + SECOND;
                let fired = fired.clone();
                executor::spawn(async move {
                    timers::sleep(delay).await;
                    fired.lock().unwrap().push((delay, timers::now() - start));
                });
            }
            timers::sleep(DAY + 2 * SECOND).await;
            fired.lock().unwrap().clone()
        });
        assert_eq!(fired.len(), 1000);
        for (delay, at) in &fired {
            assert_eq!(delay, at, "a timer fired at its exact virtual deadline");
        }
        assert!(
            fired.windows(2).all(|w| w[0].0 <= w[1].0),
            "deadline order (seed {seed})"
        );
        assert_eq!(sim.elapsed(), DAY + 2 * SECOND);
    }
}

/// The order in which ten timers due at the same instant wake their tasks.
fn tie_order(seed: u64, strategy: Strategy) -> Vec<usize> {
    let sim = Builder::new().seed(seed).strategy(strategy).build();
    sim.block_on(async {
        let deadline = timers::now() + SECOND;
        let order = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let order = order.clone();
                executor::spawn(async move {
                    timers::sleep_until(deadline).await;
                    order.lock().unwrap().push(i);
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        order.lock().unwrap().clone()
    })
}

#[test]
fn ties_between_equal_deadlines_are_broken_by_the_seed() {
    let orders: BTreeSet<Vec<usize>> = (0..10).map(|s| tie_order(s, Strategy::Random)).collect();
    assert!(orders.len() >= 2, "{orders:?}");
    assert_eq!(
        tie_order(3, Strategy::Random),
        tie_order(3, Strategy::Random)
    );
    // FIFO: registration order, whatever the seed.
    let fifo: Vec<usize> = (0..10).collect();
    assert_eq!(tie_order(0, Strategy::Fifo), fifo);
    assert_eq!(tie_order(9, Strategy::Fifo), fifo);
}

#[test]
fn time_stands_still_while_tasks_are_ready() {
    let sim = Builder::new().seed(4).build();
    let moved = sim.block_on(async {
        let start = timers::now();
        for _ in 0..100 {
            executor::yield_now().await;
        }
        timers::now() - start
    });
    assert_eq!(moved, Duration::ZERO);
}

#[test]
fn timers_made_inside_run_on_virtual_time_even_far_out() {
    let sim = Builder::new().build();
    let year = Duration::from_secs(365 * 24 * 3600);
    let real_start = Instant::now();
    sim.block_on(async { timers::sleep(year).await });
    assert_eq!(sim.elapsed(), year);
    assert!(Instant::now() - real_start < year); // not slept for real, obviously
}
