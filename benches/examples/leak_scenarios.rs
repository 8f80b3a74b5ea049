//! Leak scenarios: every way a task can end, run once each, for `cargo xtask leaks` to run
//! under valgrind's memcheck. The program itself checks that each scenario behaved (outputs,
//! cancellations, drop counts); the leak check is valgrind's: no byte may be definitely or
//! indirectly lost once it exits.
//!
//! Run it on its own with `cargo run -p benches --example leak_scenarios`.
//!
//! Scenarios: spawn and complete (on the calling thread and on worker threads), detach
//! (handle dropped first), abort (idle, running, queued), panics, timers dropped before they
//! fire, an executor dropped with pending tasks (whose wakers and handles outlive it), a
//! `LocalExecutor` dropped the same way, and both built with every introspection option on
//! (task timing, hooks, the monitor thread's reports), dumped, and dropped with tasks alive.

use std::future::{pending, poll_fn};
use std::hint::black_box;
use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use block_on::block_on;
use executor::{Executor, LocalExecutor, yield_now};

/// How many tasks each scenario spawns: enough to exercise the queue's spill path.
const N: usize = 2_000;

/// Counts the drops of whatever it is attached to.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn spawn_and_complete() {
    let ex = Executor::new();
    let handles: Vec<_> = (0..N)
        .map(|i| ex.spawn(async move { vec![i; 8] }))
        .collect();
    ex.run();
    let total: usize = handles.into_iter().map(|h| block_on(h)[0]).sum();
    assert_eq!(total, N * (N - 1) / 2);

    let workers = Executor::builder().worker_threads(2).build();
    let handles: Vec<_> = (0..N)
        .map(|i| {
            workers.spawn(async move {
                yield_now().await;
                format!("task {i}")
            })
        })
        .collect();
    let lengths: usize = handles.into_iter().map(|h| block_on(h).len()).sum();
    assert!(lengths > 0);
    println!("spawn + completion: {N} tasks on the caller, {N} on 2 workers");
}

fn detached() {
    let drops = counter();
    let ex = Executor::builder().worker_threads(2).build();
    for _ in 0..N {
        let output = Tracked(drops.clone());
        drop(ex.spawn(async move {
            yield_now().await;
            output
        }));
    }
    ex.block_on(async {
        while drops.load(Ordering::SeqCst) < N {
            yield_now().await;
        }
    });
    println!("detached: {N} outputs dropped by the runner");
}

fn aborted() {
    let drops = counter();
    let ex = Executor::builder().worker_threads(2).build();
    let handles: Vec<_> = (0..N)
        .map(|i| {
            let guard = Tracked(drops.clone());
            ex.spawn(async move {
                let _guard = guard;
                if i.is_multiple_of(2) {
                    pending::<()>().await; // idle
                } else {
                    loop {
                        yield_now().await; // running or queued
                    }
                }
            })
        })
        .collect();
    for handle in &handles {
        handle.abort();
    }
    let cancelled = handles
        .into_iter()
        .map(|h| block_on(h.try_join()).unwrap_err())
        .filter(|e| e.is_cancelled())
        .count();
    assert_eq!(cancelled, N);
    assert_eq!(drops.load(Ordering::SeqCst), N);
    println!("abort: {N} tasks (idle, running, queued) cancelled, futures dropped");
}

fn panicking() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let ex = Executor::builder().worker_threads(2).build();
    let handles: Vec<_> = (0..N)
        .map(|i| {
            let owned = vec![i; 4];
            ex.spawn(async move {
                yield_now().await;
                if i.is_multiple_of(3) {
                    panic!("deliberate panic {}", owned[0]);
                }
                owned
            })
        })
        .collect();
    let panics = handles
        .into_iter()
        .map(|h| block_on(h.try_join()))
        .filter(Result::is_err)
        .count();
    panic::set_hook(default);
    assert_eq!(panics, N.div_ceil(3));
    println!("panics: {panics} of {N} tasks panicked, payloads dropped");
}

fn timers_dropped_early() {
    let ex = Executor::builder().worker_threads(2).build();
    // A long sleep dropped by a timeout that fires first.
    let timed_out = ex.block_on(timers::timeout(
        Duration::from_millis(20),
        timers::sleep(Duration::from_secs(3600)),
    ));
    assert!(timed_out.is_err());
    // Tasks asleep for an hour, aborted.
    let handles: Vec<_> = (0..N)
        .map(|_| ex.spawn(timers::sleep(Duration::from_secs(3600))))
        .collect();
    ex.block_on(timers::sleep(Duration::from_millis(20)));
    for handle in handles {
        handle.abort();
        assert!(block_on(handle.try_join()).unwrap_err().is_cancelled());
    }
    // Tasks asleep for an hour, left for the executor's drop.
    for _ in 0..N {
        drop(ex.spawn(timers::sleep(Duration::from_secs(3600))));
    }
    ex.block_on(timers::sleep(Duration::from_millis(20)));
    drop(ex);
    println!("timers: 1 timeout, {N} sleeping tasks aborted, {N} dropped with the executor");
}

fn executor_dropped_with_pending_tasks() {
    let drops = counter();
    let wakers: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let ex = Executor::new();
    let mut handles = Vec::new();
    let mut spawn_pending = |i: usize| {
        let guard = Tracked(drops.clone());
        let wakers = wakers.clone();
        let handle = ex.spawn(poll_fn(move |cx| {
            let _keep = &guard;
            wakers.lock().unwrap().push(cx.waker().clone());
            Poll::<usize>::Pending
        }));
        // Half the handles outlive the executor, half are detached.
        if i.is_multiple_of(2) {
            handles.push(handle);
        }
    };
    // The first half is polled once (their wakers are now held outside), the second half
    // never.
    (0..N / 2).for_each(&mut spawn_pending);
    ex.block_on(async {
        while wakers.lock().unwrap().len() < N / 2 {
            yield_now().await;
        }
    });
    (N / 2..N).for_each(&mut spawn_pending);
    drop(ex);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        N,
        "every future dropped by the executor"
    );
    for waker in wakers.lock().unwrap().drain(..) {
        waker.wake(); // the executor is gone: nothing happens
    }
    for handle in handles {
        assert!(block_on(handle.try_join()).unwrap_err().is_cancelled());
    }
    println!("executor dropped with {N} pending tasks; their wakers fired afterwards");
}

fn local_executor_dropped_with_pending_tasks() {
    let drops = counter();
    let local = LocalExecutor::new();
    let shared = std::rc::Rc::new(5);
    let handles: Vec<_> = (0..N)
        .map(|_| {
            let (guard, shared) = (Tracked(drops.clone()), shared.clone());
            local.spawn(async move {
                let _guard = guard;
                yield_now().await;
                pending::<()>().await;
                *shared
            })
        })
        .collect();
    local.block_on(yield_now());
    drop(local);
    assert_eq!(drops.load(Ordering::SeqCst), N);
    assert_eq!(std::rc::Rc::strong_count(&shared), 1);
    for handle in handles {
        assert!(block_on(handle.try_join()).unwrap_err().is_cancelled());
    }
    println!("local executor dropped with {N} pending !Send tasks");
}

/// Every introspection option on, on both kinds of executor: tasks that complete, panic, are
/// aborted, or stay pending (lost, or waiting with their waker held outside) until the executor
/// drops. The timing table, the clocks and the hooks must all be freed with it.
fn introspection_options_on() {
    fn with_options<E>(builder: executor::Builder<E>) -> executor::Builder<E> {
        builder
            .task_timing(true)
            .on_task_spawn(|task| {
                black_box(task.time_in_poll());
            })
            .on_task_terminate(|id, outcome| {
                black_box((id, outcome));
            })
            .on_lost_task(|task| {
                black_box(task.id());
            })
            .long_poll_watchdog(Duration::from_millis(50), |task, _| {
                black_box(task.id());
            })
    }
    let wakers: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let waiting = |wakers: Arc<Mutex<Vec<Waker>>>| {
        poll_fn(move |cx| {
            wakers.lock().unwrap().push(cx.waker().clone());
            Poll::<()>::Pending
        })
    };
    let ex = with_options(Executor::builder()).build();
    let local = with_options(LocalExecutor::builder()).build();
    let mut handles = Vec::new();
    for i in 0..N / 10 {
        handles.push(ex.spawn(async { yield_now().await }));
        handles.push(local.spawn(async { yield_now().await }));
        handles.push(ex.spawn(pending::<()>()));
        handles.push(local.spawn(waiting(wakers.clone())));
        if i.is_multiple_of(2) {
            handles.push(ex.spawn(async { panic!("a panicking timed task") }));
        }
    }
    ex.block_on(yield_now());
    local.block_on(yield_now());
    let listed = ex.dump().tasks().count() + local.dump().tasks().count();
    assert!(listed >= N / 10, "{listed}");
    handles.pop().expect("spawned").abort();
    drop((ex, local));
    for handle in handles {
        let _ = block_on(handle.try_join());
    }
    drop(wakers.lock().unwrap().drain(..));
    println!("introspection options on: executors dropped with timed, reported tasks alive");
}

fn main() {
    spawn_and_complete();
    detached();
    aborted();
    panicking();
    timers_dropped_early();
    executor_dropped_with_pending_tasks();
    local_executor_dropped_with_pending_tasks();
    let panic_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {})); // the timed tasks' panics are expected
    introspection_options_on();
    panic::set_hook(panic_hook);
    println!("leak scenarios: all done");
}
