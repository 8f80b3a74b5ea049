//! Inside a simulation no timer-driver thread starts. Alone in its test binary, so that no
//! other test starts the driver.

use std::time::Duration;

use sim::Builder;

#[test]
#[cfg(target_os = "linux")]
fn every_timer_type_runs_without_the_driver_thread() {
    let sim = Builder::new().seed(1).build();
    let message = sim.block_on(async {
        let ms = Duration::from_millis;
        timers::sleep(ms(10)).await;
        timers::sleep_until(timers::now() + ms(10)).await;
        assert!(
            timers::timeout(ms(5), std::future::pending::<()>())
                .await
                .is_err()
        );
        assert_eq!(timers::timeout(ms(50), async { 1 }).await, Ok(1));
        let mut every = timers::interval(ms(10));
        every.tick().await;
        every.tick().await;
        // A pending timer dropped: withdrawn from the virtual clock, not the driver.
        drop(timers::timeout(ms(100), timers::sleep(ms(200))));
        let mut pending = Box::pin(timers::sleep(ms(100)));
        futures::poll!(pending.as_mut())
            .is_pending()
            .then_some(())
            .unwrap();
        drop(pending);
        timers::DelayFuture::new(Duration::from_secs(2), "done").await
    });
    assert_eq!(message, "done");
    assert_eq!(sim.elapsed(), Duration::from_millis(2035));
    let names = testkit::thread_names();
    assert!(!names.iter().any(|n| n == "timers-driver"), "{names:?}");
    // The check can fail: a real timer starts the driver.
    futures::executor::block_on(timers::sleep(Duration::from_millis(1)));
    assert!(testkit::thread_names().iter().any(|n| n == "timers-driver"));
}
