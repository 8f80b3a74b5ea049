//! Opt-in per-task timing (`Builder::task_timing`): time in poll and time queued, on both
//! kinds of executor. Durations are only checked from below (a poll that sleeps 20 ms took
//! at least 20 ms), never from above, so a loaded machine cannot fail them.

mod common;

use std::future::pending;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::AnyExecutor;

use executor::{Dump, Executor, LocalExecutor, TaskId, TaskSnapshot, yield_now};

/// How long the blocking poll of these tests blocks its runner.
const BLOCK: Duration = Duration::from_millis(20);

/// Blocks its runner for `BLOCK` in its first poll, then waits forever (so it stays listed).
async fn blocks_then_waits() {
    std::thread::sleep(BLOCK);
    pending::<()>().await
}

fn find(dump: &Dump, id: TaskId) -> &TaskSnapshot {
    dump.tasks().find(|t| t.id() == id).expect("listed")
}

/// A blocking task and one queued behind it: the blocker's poll and the other's wait in the
/// queue are both at least `BLOCK` long.
fn check_times(dump: &Dump, blocker: TaskId, behind: TaskId) {
    let b = find(dump, blocker);
    assert!(b.time_in_poll().unwrap() >= BLOCK, "{dump}");
    assert!(b.time_queued().is_some());
    let w = find(dump, behind);
    assert!(w.time_queued().unwrap() >= BLOCK, "{dump}");
    assert!(w.time_in_poll().is_some());
    let table = dump.to_string();
    assert!(table.lines().nth(1).unwrap().contains("in poll"), "{table}");
    assert!(table.lines().nth(1).unwrap().contains("queued"), "{table}");
    let debug = format!("{dump:?}");
    assert!(debug.contains("time_in_poll: Some("), "{debug}");
}

/// A blocking task and one queued behind it, on an executor with no thread but the test's.
fn blocker_and_one_behind<E: AnyExecutor>(ex: E) {
    let blocker = ex.spawn(None, blocks_then_waits());
    let behind = ex.spawn(None, pending::<()>());
    ex.block_on(yield_now());
    check_times(&E::dump(&ex), blocker.id(), behind.id());
}

#[test]
fn an_executor_with_timing_measures_time_in_poll_and_queued() {
    blocker_and_one_behind(Executor::builder().task_timing(true).build());
}

#[test]
fn a_local_executor_with_timing_measures_time_in_poll_and_queued() {
    blocker_and_one_behind(LocalExecutor::builder().task_timing(true).build());
}

#[test]
fn without_timing_nothing_is_measured_and_the_table_has_no_time_columns() {
    let ex = Executor::new();
    let _a = ex.spawn(blocks_then_waits());
    ex.block_on(yield_now());
    let dump = ex.dump();
    let t = dump.tasks().next().unwrap();
    assert_eq!((t.time_in_poll(), t.time_queued()), (None, None));
    let table = dump.to_string();
    assert!(!table.contains("in poll"), "{table}");
    let local = LocalExecutor::builder().task_timing(false).build();
    let _b = local.spawn(pending::<()>());
    local.block_on(yield_now());
    assert_eq!(local.dump().tasks().next().unwrap().time_in_poll(), None);
}

#[test]
fn times_add_up_over_polls_and_a_panicking_poll_is_timed_too() {
    let ex = Executor::builder().task_timing(true).build();
    // Polled three times, blocking in each: three BLOCKs in poll.
    let thrice = ex.spawn(async {
        for _ in 0..2 {
            std::thread::sleep(BLOCK);
            yield_now().await;
        }
        std::thread::sleep(BLOCK);
        pending::<()>().await
    });
    ex.block_on(async {
        for _ in 0..5 {
            yield_now().await;
        }
    });
    let dump = ex.dump();
    let t = find(&dump, thrice.id());
    assert_eq!(t.polls(), 3, "{dump}");
    assert!(t.time_in_poll().unwrap() >= 3 * BLOCK, "{dump}");

    // A poll that panics still ends its timing: the next spawn's snapshots are sound and
    // the executor carries on.
    let bad = ex.spawn(async {
        std::thread::sleep(BLOCK);
        panic!("timed panic")
    });
    assert!(ex.block_on(bad.try_join()).unwrap_err().is_panic());
    let after = ex.dump();
    assert_eq!(
        after.tasks().count(),
        1,
        "the panicked task left the dump: {after}"
    );
}

#[test]
fn timing_keeps_the_lost_check_exact_and_hooks_see_times() {
    let spawned = Arc::new(Mutex::new(Vec::new()));
    let s = spawned.clone();
    let ex = Executor::builder()
        .task_timing(true)
        .on_task_spawn(move |t| {
            s.lock()
                .unwrap()
                .push((t.time_in_poll(), t.time_queued().is_some()))
        })
        .build();
    let forever = ex.spawn(pending::<()>());
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let on_channel = ex.spawn(async move { rx.await.ok() });
    ex.block_on(yield_now());
    let dump = ex.dump();
    assert!(find(&dump, forever.id()).is_lost(), "{dump}");
    assert!(!find(&dump, on_channel.id()).is_lost(), "{dump}");
    assert_eq!(
        *spawned.lock().unwrap(),
        [(Some(Duration::ZERO), true), (Some(Duration::ZERO), true)]
    );
    tx.send(()).unwrap();
    assert_eq!(ex.block_on(on_channel), Some(()));
}

#[test]
fn a_woken_task_counts_its_wait_behind_a_blocking_one_as_queued() {
    let ex = Executor::builder().task_timing(true).build();
    let (tx, rx) = futures::channel::oneshot::channel::<()>();
    let woken = ex.spawn(async move {
        rx.await.ok();
        pending::<()>().await
    });
    ex.block_on(yield_now()); // polled once: idle, waiting on the channel
    let blocker = ex.spawn(blocks_then_waits());
    tx.send(()).unwrap(); // queued behind the blocker: the wake starts its wait
    ex.block_on(yield_now());
    let dump = ex.dump();
    let w = find(&dump, woken.id());
    assert_eq!(w.polls(), 2, "{dump}");
    assert!(w.time_queued().unwrap() >= BLOCK, "{dump}");
    assert!(find(&dump, blocker.id()).time_in_poll().unwrap() >= BLOCK);
}
