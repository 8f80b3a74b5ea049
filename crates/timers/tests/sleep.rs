//! `sleep` and `sleep_until` under `block_on`, `futures`' executors and by hand.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use timers::{Sleep, sleep, sleep_until};
use wakers::{CountingWaker, Parker, noop_waker};

const MS: Duration = Duration::from_millis(1);

fn poll_once<F: Future + Unpin>(future: &mut F, waker: &std::task::Waker) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(waker))
}

/// Parks until `waker` is woken, failing instead of hanging after `limit`.
fn wait_for_wake(parker: &Parker, limit: Duration) {
    assert!(parker.park_timeout(limit), "no wake-up within {limit:?}");
}

#[test]
fn is_send_and_unpin() {
    fn check<T: Send + Unpin + 'static>() {}
    check::<Sleep>();
}

#[test]
fn never_completes_early_under_block_on() {
    for ms in [1u32, 5, 20] {
        let deadline = Instant::now() + MS * ms;
        block_on::block_on(sleep_until(deadline));
        assert!(Instant::now() >= deadline);
    }
}

#[test]
fn works_under_futures_executor() {
    let start = Instant::now();
    futures::executor::block_on(sleep(15 * MS));
    assert!(start.elapsed() >= 15 * MS);

    let mut pool = futures::executor::LocalPool::new();
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    use futures::task::LocalSpawnExt;
    pool.spawner()
        .spawn_local(async move {
            sleep(5 * MS).await;
            flag.store(true, Ordering::SeqCst);
        })
        .unwrap();
    pool.run();
    assert!(done.load(Ordering::SeqCst));
}

#[test]
fn due_sleep_is_ready_on_first_poll_without_a_wake() {
    let counter = CountingWaker::new();
    let mut past = sleep_until(Instant::now() - 10 * MS);
    assert!(poll_once(&mut past, &counter.waker()).is_ready());
    let mut zero = sleep(Duration::ZERO);
    assert!(poll_once(&mut zero, &counter.waker()).is_ready());
    assert!(
        poll_once(&mut zero, &counter.waker()).is_ready(),
        "stays ready"
    );
    assert_eq!(counter.wakes(), 0);
}

#[test]
fn pending_sleep_wakes_its_waker_once() {
    let parker = Parker::new();
    let mut s = sleep(10 * MS);
    assert!(poll_once(&mut s, &parker.waker()).is_pending());
    wait_for_wake(&parker, Duration::from_secs(10));
    assert!(poll_once(&mut s, &parker.waker()).is_ready());
    assert!(poll_once(&mut s, &parker.waker()).is_ready(), "stays ready");
}

#[test]
fn the_latest_waker_is_the_one_woken() {
    let first = CountingWaker::new();
    let parker = Parker::new();
    let mut s = sleep(20 * MS);
    assert!(poll_once(&mut s, &first.waker()).is_pending());
    // Moved to another task: the new waker must be woken, not the old one.
    assert!(poll_once(&mut s, &parker.waker()).is_pending());
    wait_for_wake(&parker, Duration::from_secs(10));
    assert!(poll_once(&mut s, &parker.waker()).is_ready());
    assert_eq!(first.wakes(), 0);
}

#[test]
fn many_sleeps_complete_in_deadline_order() {
    let parker = Parker::new();
    let start = Instant::now();
    let order = [30u64, 10, 25, 5, 15, 20, 1];
    let mut sleeps: Vec<(u64, Sleep)> = order
        .iter()
        .map(|&ms| (ms, sleep(MS * ms as u32)))
        .collect();
    let mut done = Vec::new();
    while !sleeps.is_empty() {
        // Ready in the same pass means "fired between two looks": order those by deadline.
        let mut ready = Vec::new();
        sleeps.retain_mut(|(ms, s)| {
            if poll_once(s, &parker.waker()).is_ready() {
                assert!(
                    start.elapsed() >= MS * *ms as u32,
                    "{ms} ms sleep finished early"
                );
                ready.push(*ms);
                false
            } else {
                true
            }
        });
        ready.sort_unstable();
        done.extend(ready);
        if !sleeps.is_empty() {
            wait_for_wake(&parker, Duration::from_secs(10));
        }
    }
    let mut sorted = order.to_vec();
    sorted.sort_unstable();
    assert_eq!(done, sorted);
}

#[test]
fn dropped_sleep_never_wakes() {
    let counter = CountingWaker::new();
    let mut s = sleep(5 * MS);
    assert!(poll_once(&mut s, &counter.waker()).is_pending());
    drop(s);
    // A later timer fires after the dropped one's deadline: the driver has passed it.
    block_on::block_on(sleep(30 * MS));
    assert_eq!(counter.wakes(), 0);
}

#[test]
fn reset_moves_the_deadline_both_ways() {
    let parker = Parker::new();
    let mut s = sleep(Duration::from_secs(3600));
    assert!(poll_once(&mut s, &parker.waker()).is_pending());
    let soon = Instant::now() + 10 * MS;
    s.reset(soon);
    assert_eq!(s.deadline(), soon);
    block_on::block_on(&mut s);
    assert!(Instant::now() >= soon);

    // Completed, then pushed into the future again: pending once more.
    s.reset(Instant::now() + Duration::from_secs(3600));
    assert!(poll_once(&mut s, &noop_waker()).is_pending());
    assert!(!s.is_elapsed());
}

#[test]
fn far_future_deadlines_do_not_overflow() {
    let mut forever = sleep(Duration::MAX);
    assert!(forever.deadline() > Instant::now() + Duration::from_secs(365 * 24 * 3600));
    assert!(poll_once(&mut forever, &noop_waker()).is_pending());
    let mut years = sleep_until(Instant::now() + Duration::from_secs(10 * 365 * 24 * 3600));
    assert!(poll_once(&mut years, &noop_waker()).is_pending());
    // The driver still serves near timers while those wait.
    block_on::block_on(sleep(5 * MS));
    assert!(poll_once(&mut forever, &noop_waker()).is_pending());
}

#[test]
fn sleeps_can_be_polled_from_many_threads() {
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                for i in 0..50u64 {
                    let d = Duration::from_micros((i * 37 + t * 101) % 2_000);
                    let deadline = Instant::now() + d;
                    block_on::block_on(sleep(d));
                    assert!(Instant::now() >= deadline);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn a_sleep_registered_on_one_thread_completes_or_drops_on_another() {
    let mut s = sleep(20 * MS);
    assert!(poll_once(&mut s, &noop_waker()).is_pending());
    let deadline = s.deadline();
    std::thread::spawn(move || {
        block_on::block_on(&mut s);
        assert!(Instant::now() >= deadline);
    })
    .join()
    .unwrap();

    // Dropped on a thread whose batch does not hold its registration: cancelled instead.
    let counter = CountingWaker::new();
    let mut far = sleep(50 * MS);
    assert!(poll_once(&mut far, &counter.waker()).is_pending());
    let far_deadline = far.deadline();
    std::thread::spawn(move || drop(far)).join().unwrap();
    // On a loaded machine the drop may come after the deadline, when a wake is legitimate:
    // only a drop that came first proves anything.
    let dropped_in_time = Instant::now() < far_deadline;
    block_on::block_on(sleep_until(far_deadline + 30 * MS));
    if dropped_in_time {
        assert_eq!(counter.wakes(), 0);
    }
}

#[test]
fn a_panicking_waker_does_not_stop_the_driver() {
    let mut s = sleep(5 * MS);
    let bomb = wakers::waker_fn(|| panic!("this waker panics on purpose"));
    assert!(poll_once(&mut s, &bomb).is_pending());
    // The driver survives the panic and keeps serving timers.
    std::thread::sleep(20 * MS);
    block_on::block_on(sleep(5 * MS));
    assert!(poll_once(&mut s, &noop_waker()).is_ready());
}
