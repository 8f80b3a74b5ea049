//! Public API tests for `block_on`.

use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use block_on::block_on;
use testkit::within;

/// The lesson's countdown: wakes itself and returns `Pending` until the count reaches zero.
struct Countdown {
    left: usize,
    polls: Arc<AtomicUsize>,
}

impl Future for Countdown {
    type Output = &'static str;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        if self.left == 0 {
            Poll::Ready("liftoff")
        } else {
            self.left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn returns_a_ready_value() {
    assert_eq!(block_on(async { 40 + 2 }), 42);
}

#[test]
fn countdown_is_polled_count_plus_one_times() {
    let polls = Arc::new(AtomicUsize::new(0));
    let out = block_on(Countdown {
        left: 10,
        polls: polls.clone(),
    });
    assert_eq!(out, "liftoff");
    assert_eq!(polls.load(Ordering::SeqCst), 11);
}

#[test]
fn an_unwoken_future_is_not_polled_again() {
    // No busy polling: the future is polled once, stays parked for a while, is woken once,
    // and so is polled exactly twice.
    let polls = Arc::new(AtomicUsize::new(0));
    let polls2 = polls.clone();
    let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
    let released = Arc::new(AtomicBool::new(false));
    let released2 = released.clone();
    let waker_thread = thread::spawn(move || {
        let waker = waker_rx.recv().unwrap();
        thread::sleep(Duration::from_millis(100));
        released2.store(true, Ordering::SeqCst);
        waker.wake();
    });
    within(Duration::from_secs(30), move || {
        block_on(poll_fn(move |cx| {
            polls2.fetch_add(1, Ordering::SeqCst);
            if released.load(Ordering::SeqCst) {
                Poll::Ready(())
            } else {
                let _ = waker_tx.send(cx.waker().clone());
                Poll::Pending
            }
        }))
    });
    waker_thread.join().unwrap();
    assert_eq!(polls.load(Ordering::SeqCst), 2);
}

#[test]
fn wake_racing_the_park_is_not_lost() {
    // Another thread wakes us while we go from `Pending` to parking. Several threads, many
    // rounds each; a lost wake-up hangs one round and fails the time bound.
    within(Duration::from_secs(120), || {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                thread::spawn(|| {
                    for _ in 0..5_000 {
                        let flag = Arc::new(AtomicBool::new(false));
                        let mut sent = false;
                        block_on(poll_fn(|cx| {
                            if flag.load(Ordering::Acquire) {
                                return Poll::Ready(());
                            }
                            if !sent {
                                sent = true;
                                let (flag, waker) = (flag.clone(), cx.waker().clone());
                                thread::spawn(move || {
                                    flag.store(true, Ordering::Release);
                                    waker.wake();
                                });
                            }
                            Poll::Pending
                        }));
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
    });
}

#[test]
fn nested_block_on_does_not_steal_the_outer_wake_up() {
    // The outer future hands its waker to a thread that wakes it while the inner `block_on`
    // is parked. If both levels shared one park token, the inner call would eat the outer
    // call's wake-up and the outer call would sleep forever.
    let out = within(Duration::from_secs(30), || {
        let outer_woken = Arc::new(AtomicBool::new(false));
        let mut started = false;
        block_on(poll_fn(move |cx| {
            if outer_woken.load(Ordering::SeqCst) {
                return Poll::Ready("outer done");
            }
            if !started {
                started = true;
                let (flag, waker) = (outer_woken.clone(), cx.waker().clone());
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(20));
                    flag.store(true, Ordering::SeqCst);
                    waker.wake();
                });
                // The inner call waits longer than the outer wake takes to arrive.
                let inner_done = Arc::new(AtomicBool::new(false));
                let inner = inner_done.clone();
                let mut inner_started = false;
                block_on(poll_fn(move |cx| {
                    if inner.load(Ordering::SeqCst) {
                        return Poll::Ready(());
                    }
                    if !inner_started {
                        inner_started = true;
                        let (flag, waker) = (inner.clone(), cx.waker().clone());
                        thread::spawn(move || {
                            thread::sleep(Duration::from_millis(80));
                            flag.store(true, Ordering::SeqCst);
                            waker.wake();
                        });
                    }
                    Poll::Pending
                }));
                assert!(inner_done.load(Ordering::SeqCst));
            }
            Poll::Pending
        }))
    });
    assert_eq!(out, "outer done");
}

#[test]
fn deep_nesting_beyond_the_cache_works() {
    fn nest(level: usize) -> usize {
        if level == 0 {
            0
        } else {
            block_on(async move { nest(level - 1) + 1 })
        }
    }
    assert_eq!(
        nest(block_on::MAX_CACHED_DEPTH * 2),
        block_on::MAX_CACHED_DEPTH * 2
    );
}

#[test]
fn a_panic_reaches_the_caller_and_the_thread_stays_usable() {
    let caught = catch_unwind(AssertUnwindSafe(|| {
        block_on(async {
            panic!("boom");
        })
    }));
    let payload = caught.expect_err("the panic must reach the caller");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));

    // The depth was restored and the parker still works, including for a real wait.
    let polls = Arc::new(AtomicUsize::new(0));
    assert_eq!(
        block_on(Countdown {
            left: 3,
            polls: polls.clone()
        }),
        "liftoff"
    );
    let (tx, rx) = mpsc::channel();
    let mut sent = false;
    let value = block_on(poll_fn(|cx| {
        if let Ok(v) = rx.try_recv() {
            return Poll::Ready(v);
        }
        if !sent {
            sent = true;
            let (tx, waker) = (tx.clone(), cx.waker().clone());
            thread::spawn(move || {
                tx.send(9).unwrap();
                waker.wake();
            });
        }
        Poll::Pending
    }));
    assert_eq!(value, 9);
}

/// How many times the stale waker is woken during the later call.
const STALE_WAKES: usize = 3;

#[test]
fn a_kept_waker_costs_a_later_call_at_most_one_poll_per_wake() {
    within(Duration::from_secs(60), || {
        // Call 1 keeps its waker after it returns.
        let mut kept: Option<Waker> = None;
        block_on(poll_fn(|cx| {
            kept = Some(cx.waker().clone());
            Poll::Ready(())
        }));
        let stale = kept.expect("kept");

        // Call 2, at the same depth, shares the parker: each wake of the stale waker can
        // unpark it once. It completes when `done` is set and its own waker woken.
        let polls = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let mut started = false;
        let (p, d) = (polls.clone(), done.clone());
        block_on(poll_fn(move |cx| {
            p.fetch_add(1, Ordering::SeqCst);
            if d.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            if !std::mem::replace(&mut started, true) {
                let (stale, own, d) = (stale.clone(), cx.waker().clone(), d.clone());
                thread::spawn(move || {
                    for _ in 0..STALE_WAKES {
                        thread::sleep(Duration::from_millis(20));
                        stale.wake_by_ref();
                    }
                    thread::sleep(Duration::from_millis(20));
                    d.store(true, Ordering::SeqCst);
                    own.wake();
                });
            }
            Poll::Pending
        }));
        // One poll to start, one after the real wake, and one at most per stale wake (the
        // first stale wake comes after the first poll, so at least one shows).
        let extra = polls.load(Ordering::SeqCst) - 2;
        assert!((1..=STALE_WAKES).contains(&extra), "{extra} extra polls");
    });
}
