//! A program that can never finish makes the simulator panic with a report, not hang.

mod common;

use futures::channel::oneshot;
use sim::Builder;

/// Two tasks, each waiting for the other's message before sending its own.
async fn two_tasks_waiting_for_each_other() {
    let (to_a, from_b) = oneshot::channel::<()>();
    let (to_b, from_a) = oneshot::channel::<()>();
    let a = executor::spawn(async move {
        from_b.await.ok();
        to_b.send(()).ok();
    });
    let b = executor::spawn(async move {
        from_a.await.ok();
        to_a.send(()).ok();
    });
    a.await;
    b.await;
}

#[test]
fn a_deadlock_panics_with_the_seed_the_step_the_time_and_the_tasks() {
    let message = common::panic_message(|| {
        Builder::new()
            .seed(77)
            .build()
            .block_on(two_tasks_waiting_for_each_other())
    })
    .expect("a deadlock must panic, not hang");
    assert!(
        message.contains("all tasks are blocked forever"),
        "{message}"
    );
    assert!(message.contains("seed: 77"), "{message}");
    assert!(message.contains("SIM_SEED=77"), "{message}");
    assert!(message.contains("step: "), "{message}");
    assert!(message.contains("virtual time: "), "{message}");
    assert!(message.contains("tasks alive: 2"), "{message}");
    // Both tasks, with where they were spawned (this file).
    assert!(message.contains("#1: task "), "{message}");
    assert!(message.contains("#2: task "), "{message}");
    assert_eq!(
        message
            .matches("spawned at crates/sim/tests/deadlock.rs")
            .count(),
        2,
        "{message}"
    );
    assert_eq!(
        message.matches("idle, polled 1 times").count(),
        2,
        "{message}"
    );
}

#[test]
fn check_reports_a_deadlock_with_its_seed() {
    let message =
        common::panic_message(|| sim::check(5..8, |_| two_tasks_waiting_for_each_other()))
            .expect("check must fail");
    assert!(message.contains("failed with seed 5"), "{message}");
    assert!(
        message.contains("all tasks are blocked forever"),
        "{message}"
    );
}

#[test]
fn a_pending_timer_is_not_a_deadlock() {
    let sim = Builder::new().build();
    sim.block_on(async {
        let (tx, rx) = oneshot::channel();
        executor::spawn(async move {
            timers::sleep(std::time::Duration::from_secs(10)).await;
            tx.send(5).unwrap();
        });
        assert_eq!(rx.await, Ok(5));
    });
}
