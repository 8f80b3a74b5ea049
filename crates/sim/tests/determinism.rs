//! Same seed, same run; other seeds, other runs.

mod common;

use std::collections::BTreeSet;

use sim::{Builder, Strategy};

fn run(seed: u64, strategy: Strategy) -> (Vec<&'static str>, u64) {
    let sim = Builder::new().seed(seed).strategy(strategy).build();
    let log = sim.block_on(common::interleaving());
    (log, sim.trace_hash())
}

#[test]
fn same_seed_gives_the_same_trace_hash_over_100_runs() {
    let (log, hash) = run(12345, Strategy::Random);
    for _ in 0..100 {
        assert_eq!(run(12345, Strategy::Random), (log.clone(), hash));
    }
}

#[test]
fn ten_seeds_give_at_least_two_traces_of_a_racy_program() {
    let hashes: BTreeSet<u64> = (0..10).map(|seed| run(seed, Strategy::Random).1).collect();
    let logs: BTreeSet<Vec<&str>> = (0..10).map(|seed| run(seed, Strategy::Random).0).collect();
    assert!(hashes.len() >= 2, "10 seeds, one trace: {hashes:?}");
    assert!(logs.len() >= 2, "10 seeds, one interleaving: {logs:?}");
}

#[test]
fn fifo_ignores_the_seed_and_round_robins() {
    let (log, hash) = run(0, Strategy::Fifo);
    assert_eq!(log, ["a", "b", "c", "a", "b", "c"]);
    for seed in 1..10 {
        assert_eq!(run(seed, Strategy::Fifo), (log.clone(), hash));
    }
}

#[test]
fn a_program_with_no_choice_has_one_trace() {
    let hashes: BTreeSet<u64> = (0..10)
        .map(|seed| {
            let sim = Builder::new().seed(seed).build();
            sim.block_on(async {
                for _ in 0..3 {
                    executor::yield_now().await;
                }
            });
            sim.trace_hash()
        })
        .collect();
    assert_eq!(hashes.len(), 1);
}

#[test]
#[allow(clippy::async_yields_async)] // the handle is the point: awaited after the sim is gone
fn tasks_still_alive_when_the_sim_is_dropped_are_cancelled() {
    let sim = Builder::new().build();
    let handle = sim.block_on(async {
        let handle = executor::spawn(std::future::pending::<()>());
        executor::yield_now().await; // let it start
        handle
    });
    assert!(!handle.is_finished());
    drop(sim);
    let err = futures::executor::block_on(handle.try_join()).unwrap_err();
    assert!(err.is_cancelled());
}

#[test]
fn a_task_panic_goes_to_its_handle_and_the_sim_carries_on() {
    let sim = Builder::new().seed(2).build();
    let (failed, fine) = sim.block_on(async {
        let bad = executor::spawn(async { panic!("task failed") });
        let good = executor::spawn_local(async { 7 });
        (bad.try_join().await.unwrap_err().is_panic(), good.await)
    });
    assert!(failed);
    assert_eq!(fine, 7);
}

#[test]
fn spawn_outside_the_sim_goes_to_the_executor_again() {
    let sim = Builder::new().build();
    sim.block_on(async {});
    let ex = executor::Executor::new();
    assert_eq!(ex.block_on(async { executor::spawn(async { 3 }).await }), 3);
}
