//! `sim::check`'s determinism self-check: a test whose schedule depends on something outside
//! the simulator is reported as such.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the runs of the test below across seeds and reruns: state the simulator cannot see.
static RUNS: AtomicU64 = AtomicU64::new(0);

#[test]
fn a_schedule_that_depends_on_outside_state_is_reported_as_not_deterministic() {
    let message = common::panic_message(|| {
        sim::check(0..10, |_seed| async {
            // Every other run takes an extra step: the seed's rerun differs from its first run.
            if RUNS.fetch_add(1, Ordering::Relaxed) % 2 == 1 {
                executor::yield_now().await;
            }
        })
    })
    .expect("the self-check must catch it");
    assert!(message.contains("not deterministic"), "{message}");
    assert!(message.contains("seed 0 gave trace hash"), "{message}");
    assert!(message.contains("SIM_SEED=0 cargo test"), "{message}");
}

#[test]
fn a_deterministic_test_passes_every_seed() {
    sim::check(0..50, |seed| async move {
        let log = common::interleaving().await;
        assert_eq!(log.len(), 6, "seed {seed}");
    });
}
