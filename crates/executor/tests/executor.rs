//! Public API tests for `Executor`: one test per promise of the crate docs.

mod common;

use std::future::poll_fn;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

use block_on::block_on;
use common::{Countdown, DropCounter, within};
use executor::{Executor, JoinHandle, spawn, yield_now};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn lesson_exercise_2_countdowns_interleave_and_finish_in_count_order() {
    let ex = Executor::new();
    let trace = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(Mutex::new(Vec::new()));
    for (name, left) in [("three", 3), ("one", 1), ("two", 2)] {
        ex.spawn(Countdown {
            name,
            left,
            trace: trace.clone(),
            done: done.clone(),
        });
    }
    ex.run();
    assert_eq!(*done.lock().unwrap(), ["one", "two", "three"]);
    let names: Vec<_> = trace.lock().unwrap().iter().map(|(n, _)| *n).collect();
    // Round-robin: each task polled once per round, in spawn order, until it finishes.
    assert_eq!(
        names,
        [
            "three", "one", "two", "three", "one", "two", "three", "two", "three"
        ]
    );
}

#[test]
fn lesson_exercise_5_join_handle_after_run_and_with_workers() {
    let ex = Executor::new();
    let handle = ex.spawn(async { 42 });
    ex.run();
    assert_eq!(block_on(handle), 42);

    let pool = Executor::builder().worker_threads(2).build();
    let handle = pool.spawn(async { 42 });
    assert_eq!(within(LIMIT, move || block_on(handle)), 42);
}

#[test]
fn run_returns_once_no_task_is_alive_and_parks_meanwhile() {
    let ex = Executor::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let (waker_tx, waker_rx) = mpsc::channel::<Waker>();
    let released = Arc::new(AtomicBool::new(false));
    let (p, r) = (polls.clone(), released.clone());
    ex.spawn(poll_fn(move |cx| {
        p.fetch_add(1, Ordering::SeqCst);
        if r.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            waker_tx.send(cx.waker().clone()).unwrap();
            Poll::Pending
        }
    }));
    let waker_thread = thread::spawn(move || {
        let waker = waker_rx.recv().unwrap();
        thread::sleep(Duration::from_millis(100));
        released.store(true, Ordering::SeqCst);
        waker.wake();
    });
    let ex = Arc::new(ex);
    let ex2 = ex.clone();
    within(LIMIT, move || ex2.run());
    waker_thread.join().unwrap();
    // Parked, not spinning: polled once, then once more after the single wake.
    assert_eq!(polls.load(Ordering::SeqCst), 2);
}

#[test]
fn two_wakes_before_a_poll_queue_the_task_once() {
    let ex = Executor::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let stash: Arc<Mutex<Option<Waker>>> = Arc::default();
    let (p, s) = (polls.clone(), stash.clone());
    let handle = ex.spawn(poll_fn(move |cx| {
        let n = p.fetch_add(1, Ordering::SeqCst);
        if n == 0 {
            *s.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(n)
        }
    }));
    let other = ex.spawn(async {});
    ex.block_on(async {
        // Let the first task register its waker.
        while stash.lock().unwrap().is_none() {
            yield_now().await;
        }
        let waker = stash.lock().unwrap().take().unwrap();
        waker.wake_by_ref();
        waker.wake_by_ref();
        waker.wake();
    });
    ex.run();
    assert_eq!(block_on(handle), 1);
    assert_eq!(
        polls.load(Ordering::SeqCst),
        2,
        "three wakes, one extra poll"
    );
    assert!(other.is_finished());
}

#[test]
fn a_wake_after_completion_does_nothing() {
    let ex = Executor::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let stash: Arc<Mutex<Option<Waker>>> = Arc::default();
    let (p, s) = (polls.clone(), stash.clone());
    ex.spawn(poll_fn(move |cx| {
        p.fetch_add(1, Ordering::SeqCst);
        *s.lock().unwrap() = Some(cx.waker().clone());
        Poll::Ready(())
    }));
    ex.run();
    let waker = stash.lock().unwrap().take().unwrap();
    waker.wake_by_ref();
    waker.wake();
    ex.run(); // nothing alive: returns at once
    assert_eq!(polls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_wake_during_its_own_poll_runs_it_again() {
    let ex = Executor::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let p = polls.clone();
    let handle = ex.spawn(poll_fn(move |cx| {
        if p.fetch_add(1, Ordering::SeqCst) < 5 {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready("again and again")
        }
    }));
    ex.run();
    assert_eq!(block_on(handle), "again and again");
    assert_eq!(polls.load(Ordering::SeqCst), 6);
}

#[test]
fn a_wake_from_another_thread_during_the_poll_is_not_lost() {
    // The task hands its waker to a thread and keeps polling itself busy meanwhile; the wake
    // lands while it is RUNNING. Many rounds; a lost wake-up fails the time bound.
    let ex = Arc::new(Executor::new());
    for _ in 0..2_000 {
        let flag = Arc::new(AtomicBool::new(false));
        let mut sent = false;
        ex.spawn(poll_fn(move |cx| {
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
                std::hint::black_box((0..1000).sum::<u64>());
            }
            Poll::Pending
        }));
    }
    let ex2 = ex.clone();
    within(LIMIT, move || ex2.run());
}

#[test]
fn several_threads_run_one_executor_and_all_return() {
    let ex = Arc::new(Executor::new());
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..1_000 {
        let done = done.clone();
        ex.spawn(async move {
            for _ in 0..10 {
                yield_now().await;
            }
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    let runners: Vec<_> = (0..4)
        .map(|_| {
            let ex = ex.clone();
            thread::spawn(move || ex.run())
        })
        .collect();
    within(LIMIT, move || {
        runners.into_iter().for_each(|r| r.join().unwrap());
    });
    assert_eq!(done.load(Ordering::SeqCst), 1_000);
}

#[test]
fn worker_threads_run_spawned_tasks_and_are_joined_on_drop() {
    struct SignalOnThreadExit(mpsc::Sender<()>);
    impl Drop for SignalOnThreadExit {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    thread_local! {
        static EXIT: std::cell::RefCell<Option<SignalOnThreadExit>> = const { std::cell::RefCell::new(None) };
    }
    let ex = Executor::builder().worker_threads(2).build();
    let (tx, rx) = mpsc::channel();
    let handle = ex.spawn(async move {
        EXIT.with(|e| *e.borrow_mut() = Some(SignalOnThreadExit(tx)));
        thread::current().name().map(String::from)
    });
    let name = within(LIMIT, move || block_on(handle));
    assert_eq!(name.as_deref(), Some("executor-worker"));
    assert!(rx.try_recv().is_err(), "the worker is still running");
    drop(ex);
    assert!(
        rx.try_recv().is_ok(),
        "dropping the executor joined its worker"
    );
}

#[test]
fn a_panicking_task_does_not_take_down_the_executor() {
    let ex = Executor::new();
    let bad = ex.spawn(async { panic!("task failed on purpose") });
    let good: Vec<_> = (0..10).map(|i| ex.spawn(async move { i })).collect();
    ex.run();
    let err = block_on(bad.try_join()).unwrap_err();
    assert!(err.is_panic());
    assert_eq!(err.to_string(), "task panicked: task failed on purpose");
    let outputs: Vec<_> = good.into_iter().map(block_on).collect();
    assert_eq!(outputs, (0..10).collect::<Vec<_>>());
    // The executor is still usable.
    assert_eq!(ex.block_on(async { 1 }), 1);
}

#[test]
fn awaiting_a_panicked_task_resumes_its_panic() {
    let ex = Executor::new();
    let bad = ex.spawn(async {
        std::panic::panic_any(17_u8);
    });
    ex.run();
    let payload = catch_unwind(AssertUnwindSafe(|| block_on(bad))).unwrap_err();
    assert_eq!(payload.downcast_ref::<u8>(), Some(&17));
}

#[test]
fn dropping_the_executor_drops_every_live_future() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let ex = Executor::new();
    let stash: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let mut handles = Vec::new();
    for _ in 0..100 {
        let guard = DropCounter(dropped.clone());
        let stash = stash.clone();
        handles.push(ex.spawn(poll_fn(move |cx| {
            let _keep = &guard;
            stash.lock().unwrap().push(cx.waker().clone());
            Poll::<()>::Pending
        })));
    }
    // Half were polled once (their wakers are stashed), half never ran.
    ex.block_on(async {
        while stash.lock().unwrap().len() < 50 {
            yield_now().await;
        }
    });
    drop(ex);
    assert_eq!(dropped.load(Ordering::SeqCst), 100);
    for handle in handles {
        assert!(handle.is_finished());
        assert!(block_on(handle.try_join()).unwrap_err().is_cancelled());
    }
    // Wakers that outlive the executor do nothing harmful.
    for waker in stash.lock().unwrap().drain(..) {
        waker.wake();
    }
}

#[test]
fn awaiting_a_cancelled_task_panics_with_a_clear_message() {
    let ex = Executor::new();
    let handle = ex.spawn(std::future::pending::<()>());
    drop(ex);
    let payload = catch_unwind(AssertUnwindSafe(|| block_on(handle))).unwrap_err();
    let msg = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("cancelled"), "{msg}");
}

#[test]
fn a_self_waking_task_cannot_starve_the_others() {
    let ex = Executor::new();
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    ex.spawn(async move {
        while !s.load(Ordering::SeqCst) {
            yield_now().await;
        }
    });
    ex.spawn(async move {
        yield_now().await;
        stop.store(true, Ordering::SeqCst);
    });
    let ex = Arc::new(ex);
    within(LIMIT, move || ex.run());
}

#[test]
fn abort_drops_an_idle_future_at_once() {
    let ex = Executor::new();
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(dropped.clone());
    let handle = ex.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    ex.block_on(yield_now()); // the task has been polled once and is idle
    assert_eq!(dropped.load(Ordering::SeqCst), 0);
    handle.abort();
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "dropped inside abort()");
    assert!(handle.is_finished());
    assert!(block_on(handle.try_join()).unwrap_err().is_cancelled());
    ex.run(); // nothing alive
}

#[test]
fn abort_of_a_running_task_drops_it_right_after_its_poll() {
    let ex = Executor::new();
    let dropped = Arc::new(AtomicUsize::new(0));
    let polls = Arc::new(AtomicUsize::new(0));
    let own_handle: Arc<Mutex<Option<JoinHandle<()>>>> = Arc::default();
    let (g, p, h) = (
        DropCounter(dropped.clone()),
        polls.clone(),
        own_handle.clone(),
    );
    let d = dropped.clone();
    let handle = ex.spawn(poll_fn(move |cx| {
        let _keep = &g;
        p.fetch_add(1, Ordering::SeqCst);
        if let Some(handle) = h.lock().unwrap().as_ref() {
            handle.abort();
            assert_eq!(
                d.load(Ordering::SeqCst),
                0,
                "not dropped during its own poll"
            );
        }
        cx.waker().wake_by_ref();
        Poll::<()>::Pending
    }));
    *own_handle.lock().unwrap() = Some(handle);
    ex.run();
    assert_eq!(
        polls.load(Ordering::SeqCst),
        1,
        "never polled again after the abort"
    );
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    let handle = own_handle.lock().unwrap().take().unwrap();
    assert!(block_on(handle.try_join()).unwrap_err().is_cancelled());
}

#[test]
fn aborting_a_finished_task_keeps_its_output() {
    let ex = Executor::new();
    let handle = ex.spawn(async { 5 });
    ex.run();
    handle.abort();
    assert_eq!(block_on(handle), 5);
}

#[test]
fn dropping_the_handle_detaches_the_task() {
    let ex = Executor::new();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    drop(ex.spawn(async move {
        yield_now().await;
        r.store(true, Ordering::SeqCst);
    }));
    ex.run();
    assert!(ran.load(Ordering::SeqCst));
}

#[test]
fn an_unawaited_output_is_dropped_with_the_handle_or_at_completion() {
    let ex = Executor::new();
    let dropped = Arc::new(AtomicUsize::new(0));
    let (a, b) = (DropCounter(dropped.clone()), DropCounter(dropped.clone()));
    let kept = ex.spawn(async move { a });
    drop(ex.spawn(async move { b })); // detached: its output is dropped on completion
    ex.run();
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
    drop(kept);
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
}

#[test]
fn free_spawn_works_inside_run_block_on_and_workers() {
    let ex = Executor::new();
    let inner = Arc::new(AtomicUsize::new(0));
    let i = inner.clone();
    ex.spawn(async move {
        let h = spawn(async { 1 });
        i.fetch_add(h.await, Ordering::SeqCst);
    });
    ex.run();
    assert_eq!(inner.load(Ordering::SeqCst), 1);
    assert_eq!(ex.block_on(async { spawn(async { 2 }).await }), 2);

    let pool = Executor::builder().worker_threads(1).build();
    let h = pool.spawn(async { spawn(async { 3 }).await });
    assert_eq!(within(LIMIT, move || block_on(h)), 3);
}

#[test]
fn free_spawn_outside_an_executor_panics_clearly() {
    let payload = catch_unwind(|| spawn(async {})).unwrap_err();
    let msg = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("outside of an executor"), "{msg}");
    let payload = catch_unwind(|| executor::spawn_local(async {})).unwrap_err();
    let msg = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(msg.contains("outside of a LocalExecutor"), "{msg}");
}

#[test]
fn block_on_runs_every_queued_task_while_its_future_yields() {
    let ex = Executor::new();
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..500 {
        let done = done.clone();
        ex.spawn(async move {
            yield_now().await;
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    let d = done.clone();
    let ex = Arc::new(ex);
    let ex2 = ex.clone();
    within(LIMIT, move || {
        ex2.block_on(async move {
            while d.load(Ordering::SeqCst) < 500 {
                yield_now().await;
            }
        })
    });
}

#[test]
fn spawning_before_anything_drives_the_executor_waits_in_the_queue() {
    let ex = Executor::new();
    let handle = ex.spawn(async { "queued" });
    assert!(!handle.is_finished());
    thread::sleep(Duration::from_millis(10));
    assert!(!handle.is_finished(), "nothing drives it yet");
    assert_eq!(ex.block_on(handle), "queued");
}

#[test]
fn executor_and_handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Executor>();
    send_sync::<JoinHandle<u32>>();
    fn send<T: Send>(_: &T) {}
    send(&yield_now());
}

#[test]
fn a_block_on_caller_that_leaves_does_not_strand_queued_tasks() {
    // One worker and many short block_on calls from this thread: a push may pick the
    // block_on thread as the sleeper to wake just as its future completes. The tasks must
    // still all run (on the worker), without anyone calling block_on again.
    let ex = Executor::builder().worker_threads(1).build();
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..2_000 {
        let d = done.clone();
        let (tx, rx) = mpsc::channel::<Waker>();
        ex.spawn(async move {
            yield_now().await;
            d.fetch_add(1, Ordering::SeqCst);
        });
        let mut sent = false;
        ex.block_on(poll_fn(move |cx| {
            if sent {
                return Poll::Ready(());
            }
            sent = true;
            tx.send(cx.waker().clone()).unwrap();
            let waker = rx.recv().unwrap();
            thread::spawn(move || waker.wake());
            Poll::Pending
        }));
    }
    let d = done.clone();
    within(LIMIT, move || {
        while d.load(Ordering::SeqCst) < 2_000 {
            thread::sleep(Duration::from_millis(1));
        }
    });
}

#[test]
fn an_idle_runner_steals_from_a_busy_one() {
    // The block_on thread spawns tasks (they land on its own local queue) and then stays
    // inside one long poll until they are all done: only the worker can run them, by
    // stealing. Without stealing (or without the wake that tells the worker) this times out.
    let ex = Arc::new(Executor::builder().worker_threads(1).build());
    let done = Arc::new(AtomicUsize::new(0));
    let (ex2, d) = (ex.clone(), done.clone());
    within(LIMIT, move || {
        ex2.block_on(async move {
            for _ in 0..10 {
                let d = d.clone();
                spawn(async move {
                    d.fetch_add(1, Ordering::SeqCst);
                });
            }
            let start = std::time::Instant::now();
            while d.load(Ordering::SeqCst) < 10 {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "nobody stole the tasks"
                );
                thread::sleep(Duration::from_millis(1));
            }
        })
    });
    assert_eq!(done.load(Ordering::SeqCst), 10);
}

#[test]
fn tasks_left_on_a_leaving_runners_queue_still_run() {
    // The main future spawns tasks onto its runner's local queue and finishes at once:
    // block_on returns without running them, so they must move to the injector, where the
    // worker finds them.
    let ex = Executor::builder().worker_threads(1).build();
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    ex.block_on(async move {
        for _ in 0..10 {
            let d = d.clone();
            spawn(async move {
                d.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    let d = done.clone();
    within(LIMIT, move || {
        while d.load(Ordering::SeqCst) < 10 {
            thread::sleep(Duration::from_millis(1));
        }
    });
}
