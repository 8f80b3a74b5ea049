//! Regression tests for the runtime as a whole under shutdown, blocking and misbehaving tasks:
//! one test (or two) per defect, each written against the public API only. Every one of them
//! failed (hung, aborted, or asserted) before its fix; the deadlines of `common::within` only
//! turn a hang into a failure, they bound no speed.

mod common;

use std::cell::Cell;
use std::future::{Future, pending, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use block_on::block_on;
use common::{DropCounter, within};
use executor::{Executor, JoinHandle, LocalExecutor, spawn, yield_now};

/// Generous: only turns a hang into a failure.
const DEADLINE: Duration = Duration::from_secs(60);

// ---- 1. LocalExecutor dropped while another thread wakes its tasks ----

/// A pending local task that publishes its waker; the first of them to be dropped (by the
/// executor's shutdown) lets `foreign` wake every task, and waits until it has.
fn idle_local_task(
    wakers: Arc<Mutex<Vec<Waker>>>,
    drops: Arc<AtomicUsize>,
    shutdown_started: Arc<AtomicBool>,
    foreign_woke: Arc<AtomicBool>,
) -> impl Future<Output = ()> {
    struct OnDrop(Arc<AtomicBool>, Arc<AtomicBool>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            if !self.0.swap(true, Ordering::SeqCst) {
                // The shutdown is under way: hold it here until the other thread has woken
                // every task, some of them not cancelled yet.
                let start = Instant::now();
                while !self.1.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(10) {
                    thread::yield_now();
                }
            }
        }
    }
    let guards = (
        DropCounter(drops),
        Rc::new(OnDrop(shutdown_started, foreign_woke)),
    );
    poll_fn(move |cx| {
        let _keep = &guards;
        wakers.lock().unwrap().push(cx.waker().clone());
        Poll::Pending
    })
}

#[test]
fn local_executor_dropped_during_foreign_wakes_cancels_everything_on_its_thread() {
    within(DEADLINE, || {
        for _ in 0..20 {
            let wakers = Arc::new(Mutex::new(Vec::new()));
            let drops = Arc::new(AtomicUsize::new(0));
            let started = Arc::new(AtomicBool::new(false));
            let woke = Arc::new(AtomicBool::new(false));
            let ex = LocalExecutor::new();
            let polled: Vec<_> = (0..8)
                .map(|_| {
                    ex.spawn(idle_local_task(
                        wakers.clone(),
                        drops.clone(),
                        started.clone(),
                        woke.clone(),
                    ))
                })
                .collect();
            ex.run_until_stalled_for_test(&wakers, 8);
            // The timer driver, or any thread: wakes every task once the shutdown has begun.
            let foreign = {
                let (wakers, started, woke) = (wakers.clone(), started.clone(), woke.clone());
                thread::spawn(move || {
                    while !started.load(Ordering::SeqCst) {
                        thread::yield_now();
                    }
                    let batch: Vec<Waker> = std::mem::take(&mut *wakers.lock().unwrap());
                    for waker in batch {
                        waker.wake(); // the last reference to some: dropped on this thread
                    }
                    woke.store(true, Ordering::SeqCst);
                })
            };
            // Never polled: some with their handles kept, some detached.
            let mut kept: Vec<JoinHandle<()>> = Vec::new();
            for i in 0..64 {
                let not_send = Rc::new(DropCounter(drops.clone()));
                let handle = ex.spawn(async move {
                    let _not_send = not_send;
                    pending::<()>().await
                });
                if i % 2 == 0 {
                    kept.push(handle);
                }
            }
            drop(ex);
            foreign.join().unwrap();
            assert_eq!(
                drops.load(Ordering::SeqCst),
                8 + 64,
                "every future dropped once"
            );
            for handle in kept.into_iter().chain(polled) {
                assert!(
                    handle.is_finished(),
                    "a never-polled local task was left alive"
                );
                assert!(block_on(handle.try_join()).unwrap_err().is_cancelled());
            }
        }
    });
}

/// Runs `ex` until `n` wakers were published (each task polled once).
trait RunUntilStalled {
    fn run_until_stalled_for_test(&self, wakers: &Mutex<Vec<Waker>>, n: usize);
}

impl RunUntilStalled for LocalExecutor {
    fn run_until_stalled_for_test(&self, wakers: &Mutex<Vec<Waker>>, n: usize) {
        self.block_on(poll_fn(|cx| {
            if wakers.lock().unwrap().len() >= n {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }));
    }
}

// ---- 3. Executor drop while tasks keep waking themselves ----

#[test]
fn executor_drop_returns_while_tasks_wake_themselves() {
    within(DEADLINE, || {
        let ex = Executor::builder().worker_threads(2).build();
        let drops = Arc::new(AtomicUsize::new(0));
        let polls = Arc::new(AtomicUsize::new(0));
        for _ in 0..4 {
            let guard = DropCounter(drops.clone());
            let polls = polls.clone();
            ex.spawn(async move {
                let _guard = guard;
                loop {
                    polls.fetch_add(1, Ordering::Relaxed);
                    yield_now().await;
                }
            });
        }
        // Two tasks ping-ponging: each wakes the other, then waits for its own turn.
        let slots: Arc<[Mutex<Option<Waker>>; 2]> = Arc::new([Mutex::new(None), Mutex::new(None)]);
        let turn = Arc::new(AtomicUsize::new(0));
        for me in 0..2 {
            let (slots, turn) = (slots.clone(), turn.clone());
            let guard = DropCounter(drops.clone());
            ex.spawn(poll_fn(move |cx| {
                let _guard = &guard;
                *slots[me].lock().unwrap() = Some(cx.waker().clone());
                if turn.load(Ordering::Acquire) % 2 == me {
                    turn.fetch_add(1, Ordering::AcqRel);
                    if let Some(other) = slots[1 - me].lock().unwrap().take() {
                        other.wake();
                    }
                }
                Poll::<()>::Pending
            }));
        }
        while polls.load(Ordering::Relaxed) < 1000 || turn.load(Ordering::Acquire) < 100 {
            thread::yield_now();
        }
        drop(ex);
        assert_eq!(
            drops.load(Ordering::SeqCst),
            6,
            "every future dropped by the drop"
        );
    });
}

// ---- 4. A task queued behind a runner that blocks ----

#[test]
fn a_task_queued_behind_a_blocked_runner_runs_on_an_idle_one() {
    within(DEADLINE, || {
        let ex = Executor::builder().worker_threads(2).build();
        let mut delays = Vec::new();
        for _ in 0..5 {
            // Let both workers go to sleep, so that only a wake-up can bring the idle one.
            thread::sleep(Duration::from_millis(20));
            let parent = ex.spawn(async {
                let (tx, rx) = mpsc::channel();
                let spawned = Instant::now();
                // Queued on this runner's own queue, behind this very poll...
                let child = spawn(async move { tx.send(spawned.elapsed()).unwrap() });
                // ...which blocks its thread until the child has run elsewhere.
                (rx.recv_timeout(Duration::from_secs(10)), child)
            });
            let (delay, child) = block_on(parent);
            delays.push(delay.expect("the child waited behind its blocked parent"));
            block_on(child);
        }
        delays.sort();
        // Printed, not asserted (a loaded machine may take longer): see it with --nocapture.
        eprintln!("child started after (sorted): {delays:?}");
    });
}

// ---- 5. Spawn by a task that dropped its own executor ----

#[test]
fn a_spawn_after_the_executor_was_dropped_by_its_own_task_is_cancelled() {
    within(DEADLINE, || {
        let ex = Arc::new(Executor::builder().worker_threads(1).build());
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (out_tx, out_rx) = mpsc::channel();
        let ran = Arc::new(AtomicBool::new(false));
        let (mine, ran2) = (ex.clone(), ran.clone());
        ex.spawn(async move {
            go_rx.recv().unwrap(); // until the caller's reference is gone
            drop(mine); // the last one: the executor drops here, on its own worker
            let child = spawn(async move { ran2.store(true, Ordering::SeqCst) });
            out_tx.send(child).unwrap();
        });
        drop(ex);
        go_tx.send(()).unwrap();
        let child = out_rx.recv().unwrap();
        let result = block_on(child.try_join());
        assert!(result.unwrap_err().is_cancelled());
        assert!(
            !ran.load(Ordering::SeqCst),
            "the child ran on a dropped executor"
        );
    });
}

#[test]
fn a_task_that_dropped_its_own_executor_is_cancelled_if_it_goes_idle() {
    within(DEADLINE, || {
        let ex = Arc::new(Executor::builder().worker_threads(1).build());
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let drops = Arc::new(AtomicUsize::new(0));
        let guard = DropCounter(drops.clone());
        let mine = ex.clone();
        let handle = ex.spawn(async move {
            let _guard = guard;
            go_rx.recv().unwrap();
            drop(mine);
            pending::<()>().await; // idle, with nobody left to wake it
        });
        drop(ex);
        go_tx.send(()).unwrap();
        assert!(block_on(handle.try_join()).unwrap_err().is_cancelled());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    });
}

// ---- 8. Cooperative budget ----

/// Spawns `looper` (given a flag) and then a neighbour that sets the flag, on one thread, and
/// returns what the looper returned: `Some(rounds)` if it saw the neighbour run, `None` if it
/// ran out of rounds first (the neighbour was starved).
fn neighbour_runs_during<F>(looper: impl FnOnce(Rc<Cell<bool>>) -> F) -> Option<usize>
where
    F: Future<Output = Option<usize>> + 'static,
{
    let ex = LocalExecutor::new();
    let flag = Rc::new(Cell::new(false));
    let handle = ex.spawn(looper(flag.clone()));
    ex.spawn(async move { flag.set(true) });
    ex.run();
    block_on(handle)
}

/// Rounds a looper makes before it gives up: far more than any budget.
const ROUNDS: usize = 100_000;

#[test]
fn budget_a_loop_over_elapsed_sleeps_lets_its_neighbour_run() {
    let seen = neighbour_runs_during(|flag| async move {
        let past = Instant::now();
        for round in 0..ROUNDS {
            if flag.get() {
                return Some(round);
            }
            timers::sleep_until(past).await;
        }
        None
    });
    assert!(seen.is_some(), "the neighbour never ran during the loop");
}

#[test]
fn budget_a_loop_over_interval_ticks_lets_its_neighbour_run() {
    let seen = neighbour_runs_during(|flag| async move {
        let mut every = timers::interval(Duration::from_nanos(1));
        for round in 0..ROUNDS {
            if flag.get() {
                return Some(round);
            }
            every.tick().await;
        }
        None
    });
    assert!(seen.is_some(), "the neighbour never ran during the loop");
}

#[test]
fn budget_a_loop_over_finished_handles_lets_its_neighbour_run() {
    let ex = LocalExecutor::new();
    let handles: Vec<JoinHandle<usize>> = (0..2000).map(|i| ex.spawn(async move { i })).collect();
    let flag = Rc::new(Cell::new(false));
    let seen = {
        let flag = flag.clone();
        ex.spawn(async move {
            for (round, handle) in handles.into_iter().enumerate() {
                if flag.get() {
                    return Some(round);
                }
                assert_eq!(handle.await, round);
            }
            None
        })
    };
    ex.spawn(async move { flag.set(true) });
    ex.run();
    assert!(
        block_on(seen).is_some(),
        "the neighbour never ran during the loop"
    );
}

#[test]
fn budget_a_nested_blocking_wait_in_a_task_does_not_spin_forever() {
    // A plain `block_on` inside a task re-polls at once on every refusal; it must still finish.
    let ex = Executor::new();
    let out = ex.block_on(spawn_on(&ex, async {
        let past = Instant::now();
        block_on(async {
            for _ in 0..1000 {
                timers::sleep_until(past).await;
            }
        });
        7
    }));
    assert_eq!(out, 7);
}

fn spawn_on<F>(ex: &Executor, f: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    ex.spawn(f)
}

// ---- 9. run() inside one of its own tasks ----

fn panic_message(err: executor::JoinError) -> String {
    let payload = err.into_panic();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn executor_run_inside_its_own_task_panics_clearly() {
    within(DEADLINE, || {
        let ex = Arc::new(Executor::new());
        let inner = ex.clone();
        let handle = ex.spawn(async move { inner.run() });
        ex.run();
        let message = panic_message(block_on(handle.try_join()).unwrap_err());
        assert!(
            message.contains("Executor::run called from inside one of its own tasks"),
            "{message}"
        );
    });
}

#[test]
fn local_executor_run_inside_its_own_task_panics_clearly() {
    within(DEADLINE, || {
        let ex = Rc::new(LocalExecutor::new());
        let inner = ex.clone();
        let handle = ex.spawn(async move { inner.run() });
        ex.run();
        let message = panic_message(block_on(handle.try_join()).unwrap_err());
        assert!(
            message.contains("LocalExecutor::run called from inside one of its own tasks"),
            "{message}"
        );
    });
}

#[test]
fn run_inside_block_on_and_nested_block_on_still_work() {
    within(DEADLINE, || {
        let ex = Arc::new(Executor::new());
        // `run` inside `block_on`'s own future (not a task): returns once the tasks are done.
        let inner = ex.clone();
        let h = ex.spawn(async { 1 });
        ex.block_on(async move { inner.run() });
        assert!(h.is_finished());
        // `block_on` nested inside a task of the same executor.
        let inner = ex.clone();
        let outer = ex.spawn(async move { inner.block_on(async { spawn(async { 2 }).await }) });
        assert_eq!(ex.block_on(outer), 2);
        // A panic from `run` in a task leaves the executor usable.
        let inner = ex.clone();
        let bad = ex.spawn(async move { inner.run() });
        let caught = catch_unwind(AssertUnwindSafe(|| ex.block_on(bad)));
        assert!(caught.is_err());
        assert_eq!(ex.block_on(ex.spawn(async { 3 })), 3);
    });
}
