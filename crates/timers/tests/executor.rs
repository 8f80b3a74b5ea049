//! Timers under our own executor (lesson 5, exercise 4), on one thread and on workers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use executor::Executor;
use timers::{DelayFuture, sleep, timeout};

#[test]
fn concurrent_delays_finish_in_order_on_one_thread() {
    // Each task creates its delay when it starts, so a sequential executor would take the sum
    // of the delays. Concurrency is checked by order of events, not by wall time (lateness is
    // measured by `cargo xtask verify` and the benches): every delay has started before the
    // first one finishes.
    let executor = Executor::new();
    let events = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    for (ms, message) in [(300, "slow"), (100, "fast"), (200, "medium")] {
        let events = events.clone();
        executor.spawn(async move {
            events.lock().unwrap().push(format!("start {message}"));
            let message = DelayFuture::new(Duration::from_millis(ms), message).await;
            events.lock().unwrap().push(format!("done {message}"));
        });
    }
    executor.run();
    assert_eq!(
        *events.lock().unwrap(),
        [
            "start slow",
            "start fast",
            "start medium",
            "done fast",
            "done medium",
            "done slow"
        ]
    );
    assert!(start.elapsed() >= Duration::from_millis(300), "never early");
}

#[test]
fn sleeps_and_timeouts_on_worker_threads() {
    let executor = Executor::builder().worker_threads(2).build();
    let handles: Vec<_> = (0..100u64)
        .map(|i| {
            executor.spawn(async move {
                let deadline = Instant::now() + Duration::from_millis(i % 20);
                sleep(Duration::from_millis(i % 20)).await;
                assert!(Instant::now() >= deadline);
                timeout(Duration::from_millis(1), std::future::pending::<()>())
                    .await
                    .is_err()
            })
        })
        .collect();
    let all = executor.block_on(async {
        let mut all = true;
        for h in handles {
            all &= h.await;
        }
        all
    });
    assert!(all);
}
