//! Timers under our own executor (lesson 5, exercise 4), on one thread and on workers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use executor::Executor;
use timers::{DelayFuture, sleep, timeout};

#[test]
fn concurrent_delays_finish_in_order_on_one_thread() {
    let executor = Executor::new();
    let order = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    for (ms, message) in [(300, "slow"), (100, "fast"), (200, "medium")] {
        let order = order.clone();
        executor.spawn(async move {
            let message = DelayFuture::new(Duration::from_millis(ms), message).await;
            order.lock().unwrap().push(message);
        });
    }
    executor.run();
    assert_eq!(*order.lock().unwrap(), ["fast", "medium", "slow"]);
    // Concurrent: about 300 ms in all, not 600.
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert!(
        start.elapsed() < Duration::from_millis(550),
        "{:?}",
        start.elapsed()
    );
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
