//! Stress tests: many threads, many tasks, and every result accounted for.
//!
//! Each test runs under a deadline (`common::within`), so a lost wake-up or a deadlock is a
//! failure rather than a hang, and prints what it did (counts and elapsed time) to stderr; see
//! them with `cargo test -p executor --test stress -- --nocapture`. The default sizes keep the
//! file at a few seconds in a debug build on two cores. The `#[ignore]`d variants are the
//! same tests at ten times the size:
//! `cargo test -p executor --release --test stress -- --include-ignored`.

mod common;

use std::future::{pending, poll_fn};
use std::panic;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use block_on::block_on;
use common::{DropCounter, within};
use executor::{Executor, JoinHandle, yield_now};
use wakers::WakerSlot;

/// Generous: only turns a hang into a failure.
const DEADLINE: Duration = Duration::from_secs(120);

fn two_workers() -> Arc<Executor> {
    Arc::new(Executor::builder().worker_threads(2).build())
}

/// One task's side of the ping-pong: the waking thread bumps `sent` and wakes; the task
/// acknowledges on its next poll. A lost wake-up leaves `acked < sent` for good.
#[derive(Default)]
struct Pinged {
    sent: AtomicUsize,
    acked: AtomicUsize,
    slot: WakerSlot,
}

/// `tasks` tasks, each woken `rounds` times from one other thread, where every wake must be
/// seen by a poll before the next one is sent: no wake can be coalesced away, so each one
/// that is lost hangs the test.
fn cross_thread_wakes(tasks: usize, rounds: usize) {
    let start = Instant::now();
    let ex = two_workers();
    let pings: Arc<Vec<Pinged>> = Arc::new((0..tasks).map(|_| Pinged::default()).collect());
    let handles: Vec<JoinHandle<usize>> = (0..tasks)
        .map(|i| {
            let pings = pings.clone();
            ex.spawn(poll_fn(move |cx| {
                let me = &pings[i];
                me.slot.register(cx.waker()); // register, then check
                let sent = me.sent.load(Ordering::Acquire);
                me.acked.store(sent, Ordering::Release);
                if sent == rounds {
                    Poll::Ready(sent)
                } else {
                    Poll::Pending
                }
            }))
        })
        .collect();
    let pinger = {
        let pings = pings.clone();
        thread::spawn(move || {
            let mut wakes = 0;
            while wakes < tasks * rounds {
                let mut progressed = false;
                for me in pings.iter() {
                    let sent = me.sent.load(Ordering::Relaxed);
                    if sent < rounds && me.acked.load(Ordering::Acquire) == sent {
                        me.sent.store(sent + 1, Ordering::Release);
                        me.slot.wake();
                        wakes += 1;
                        progressed = true;
                    }
                }
                if !progressed {
                    thread::yield_now();
                }
            }
            wakes
        })
    };
    let finished: usize = handles.into_iter().map(block_on).sum();
    let wakes = pinger.join().unwrap();
    assert_eq!(finished, tasks * rounds);
    assert_eq!(wakes, tasks * rounds);
    eprintln!(
        "cross_thread_wakes: {wakes} wakes of {tasks} tasks from another thread, none lost, in {:?}",
        start.elapsed()
    );
}

#[test]
fn a_million_cross_thread_wakes_none_lost() {
    within(DEADLINE, || cross_thread_wakes(1_000, 1_000));
}

/// Four threads spawn while two worker threads run: every task runs once, every output
/// arrives.
fn spawn_from_many_threads(per_thread: usize) {
    let start = Instant::now();
    let ex = two_workers();
    let ran = Arc::new(AtomicUsize::new(0));
    let spawners: Vec<_> = (0..4)
        .map(|t| {
            let (ex, ran) = (ex.clone(), ran.clone());
            thread::spawn(move || {
                let handles: Vec<_> = (0..per_thread)
                    .map(|i| {
                        let ran = ran.clone();
                        let id = t * per_thread + i;
                        ex.spawn(async move {
                            if id.is_multiple_of(2) {
                                yield_now().await;
                            }
                            ran.fetch_add(1, Ordering::Relaxed);
                            id
                        })
                    })
                    .collect();
                handles.into_iter().map(block_on).sum::<usize>()
            })
        })
        .collect();
    let total: usize = spawners.into_iter().map(|s| s.join().unwrap()).sum();
    let n = 4 * per_thread;
    assert_eq!(total, n * (n - 1) / 2, "every task's own output, once");
    assert_eq!(ran.load(Ordering::Relaxed), n);
    eprintln!(
        "spawn_from_many_threads: {n} tasks spawned from 4 threads, run by 2 workers, in {:?}",
        start.elapsed()
    );
}

#[test]
fn a_hundred_thousand_tasks_spawned_from_four_threads() {
    within(DEADLINE, || spawn_from_many_threads(25_000));
}

#[test]
#[ignore = "long: a million tasks; run with --include-ignored in release"]
fn a_million_tasks_spawned_from_four_threads() {
    within(DEADLINE, || spawn_from_many_threads(250_000));
}

/// Tasks in every state (running and queued: they keep yielding; idle: pending forever;
/// finishing: ready at once) are aborted from two other threads. Every handle resolves, every
/// future is dropped exactly once, and every output that was made is dropped exactly once.
fn abort_storm(tasks: usize) {
    let start = Instant::now();
    let ex = two_workers();
    let futures_dropped = Arc::new(AtomicUsize::new(0));
    let outputs_dropped = Arc::new(AtomicUsize::new(0));
    let handles: Vec<JoinHandle<DropCounter>> = (0..tasks)
        .map(|i| {
            let guard = DropCounter(futures_dropped.clone());
            let output = DropCounter(outputs_dropped.clone());
            ex.spawn(async move {
                let _guard = guard;
                match i % 3 {
                    0 => loop {
                        yield_now().await;
                    },
                    1 => pending::<()>().await,
                    _ => {}
                }
                output
            })
        })
        .collect();
    let handles = Arc::new(handles);
    let aborters: Vec<_> = (0..2)
        .map(|half| {
            let handles = handles.clone();
            thread::spawn(move || {
                for handle in handles.iter().skip(half).step_by(2) {
                    handle.abort();
                }
            })
        })
        .collect();
    for aborter in aborters {
        aborter.join().unwrap();
    }
    let handles = Arc::into_inner(handles).expect("the aborters are done");
    let (mut completed, mut cancelled) = (0, 0);
    for handle in handles {
        match block_on(handle.try_join()) {
            Ok(output) => {
                completed += 1;
                drop(output);
            }
            Err(err) => {
                assert!(err.is_cancelled(), "only cancellations, no panics");
                cancelled += 1;
            }
        }
    }
    assert_eq!(completed + cancelled, tasks, "every handle resolves");
    assert!(
        completed <= tasks / 3,
        "only the ready-at-once tasks can complete"
    );
    assert_eq!(
        futures_dropped.load(Ordering::SeqCst),
        tasks,
        "futures dropped"
    );
    // Tasks that were cancelled never produced their output, but their future owned it: it
    // was dropped with the future. So every output counter is dropped exactly once too.
    assert_eq!(
        outputs_dropped.load(Ordering::SeqCst),
        tasks,
        "outputs dropped"
    );
    drop(ex);
    eprintln!(
        "abort_storm: {tasks} tasks aborted from 2 threads: {completed} had completed, \
         {cancelled} cancelled, {tasks} futures dropped, in {:?}",
        start.elapsed()
    );
}

#[test]
fn abort_storm_every_handle_resolves() {
    within(DEADLINE, || abort_storm(90_000));
}

#[test]
#[ignore = "long: 900 000 aborts; run with --include-ignored in release"]
fn abort_storm_large() {
    within(DEADLINE, || abort_storm(900_000));
}

const PANIC_MARK: &str = "stress: deliberate task panic";

/// Keeps the expected panics out of the test output; any other panic is reported as usual.
fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if message != Some(PANIC_MARK) {
                default(info);
            }
        }));
    });
}

/// One task in ten panics; the executor and the other tasks carry on, and every other task's
/// output reaches its own handle exactly once.
fn one_in_ten_panics(tasks: usize) {
    quiet_deliberate_panics();
    let start = Instant::now();
    let ex = two_workers();
    let delivered: Arc<Vec<AtomicBool>> =
        Arc::new((0..tasks).map(|_| AtomicBool::new(false)).collect());
    let handles: Vec<_> = (0..tasks)
        .map(|i| {
            ex.spawn(async move {
                yield_now().await;
                if i.is_multiple_of(10) {
                    panic!("{}", PANIC_MARK);
                }
                i
            })
        })
        .collect();
    let mut panics = 0;
    for (i, handle) in handles.into_iter().enumerate() {
        match block_on(handle.try_join()) {
            Ok(value) => {
                assert_eq!(value, i, "a handle got another task's output");
                let twice = delivered[value].swap(true, Ordering::Relaxed);
                assert!(!twice, "output {value} delivered twice");
            }
            Err(err) => {
                assert!(err.is_panic());
                assert_eq!(i % 10, 0, "task {i} should not have panicked");
                panics += 1;
            }
        }
    }
    let outputs = delivered
        .iter()
        .filter(|d| d.load(Ordering::Relaxed))
        .count();
    assert_eq!(panics, tasks / 10);
    assert_eq!(outputs, tasks - tasks / 10);
    // The workers survived every panic: they still run tasks.
    assert_eq!(block_on(ex.spawn(async { 7 })), 7);
    eprintln!(
        "one_in_ten_panics: {tasks} tasks, {panics} panicked, {outputs} outputs delivered once, \
         in {:?}",
        start.elapsed()
    );
}

#[test]
fn one_task_in_ten_panics_the_rest_deliver_once() {
    within(DEADLINE, || one_in_ten_panics(100_000));
}

#[test]
#[ignore = "long: a million tasks; run with --include-ignored in release"]
fn one_task_in_ten_panics_large() {
    within(DEADLINE, || one_in_ten_panics(1_000_000));
}

#[test]
#[ignore = "long: ten million wakes; run with --include-ignored in release"]
fn ten_million_cross_thread_wakes_none_lost() {
    within(DEADLINE, || cross_thread_wakes(2_000, 5_000));
}
