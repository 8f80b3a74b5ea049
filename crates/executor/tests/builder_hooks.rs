//! The builder's hooks and reports, on both kinds of executor: every test body runs once on
//! an `Executor` (with a worker thread) and once on a `LocalExecutor` (driven by the test's
//! own thread), both made by the same `Builder`. The reports come from the monitor thread.

mod common;

use std::collections::HashSet;
use std::future::{pending, poll_fn};
use std::sync::{Arc, Mutex, mpsc};
use std::task::Poll;
use std::time::{Duration, Instant};

use common::{AnyExecutor, within};
use executor::{Executor, LocalExecutor, Outcome, TaskState, yield_now};

const LIMIT: Duration = Duration::from_secs(60);

/// Runs a test body on both kinds of executor.
macro_rules! on_both {
    ($body:ident: $on_executor:ident, $on_local:ident) => {
        #[test]
        fn $on_executor() {
            within(LIMIT, $body::<Executor>);
        }
        #[test]
        fn $on_local() {
            within(LIMIT, $body::<LocalExecutor>);
        }
    };
}

on_both!(hooks_see_every_task_once_with_its_outcome:
    spawn_and_terminate_hooks_on_an_executor, spawn_and_terminate_hooks_on_a_local_executor);

fn hooks_see_every_task_once_with_its_outcome<E: AnyExecutor>() {
    let spawned = Arc::new(Mutex::new(Vec::new()));
    let ended = Arc::new(Mutex::new(Vec::new()));
    let (s, e) = (spawned.clone(), ended.clone());
    let ex = E::build(
        E::builder()
            .on_task_spawn(move |t| {
                s.lock()
                    .unwrap()
                    .push((t.id(), t.spawned_at().line(), t.state()));
                panic!("a panicking hook is contained");
            })
            .on_task_terminate(move |id, outcome| e.lock().unwrap().push((id, outcome))),
    );
    let ok = ex.spawn(None, async { yield_now().await });
    let line = line!() - 1;
    let bad = ex.spawn(None, async { panic!("task panics") });
    let aborted = ex.spawn(None, pending::<()>());
    let dropped = ex.spawn(Some("dropped"), pending::<()>());
    let ids = [ok.id(), bad.id(), aborted.id(), dropped.id()];
    ex.block_on(yield_now());
    aborted.abort();
    ex.block_on(ok);
    assert_eq!(
        spawned.lock().unwrap()[0],
        (ids[0], line, TaskState::Scheduled)
    );
    assert_eq!(spawned.lock().unwrap().len(), 4);
    // `bad` may still be running on the worker: wait for its end before dropping.
    assert!(ex.block_on(bad.try_join()).unwrap_err().is_panic());
    drop(ex);
    let mut ended = ended.lock().unwrap().clone();
    ended.sort_by_key(|&(id, _)| id);
    assert_eq!(
        ended,
        [
            (ids[0], Outcome::Output),
            (ids[1], Outcome::Panicked),
            (ids[2], Outcome::Cancelled),
            (ids[3], Outcome::Cancelled)
        ]
    );
    assert!(dropped.is_finished());
}

on_both!(the_watchdog_reports_a_long_poll_once_while_it_runs:
    the_watchdog_on_an_executor, the_watchdog_on_a_local_executor);

fn the_watchdog_reports_a_long_poll_once_while_it_runs<E: AnyExecutor>() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel::<()>();
    let r = reports.clone();
    let tx = Mutex::new(tx);
    let ex = E::build(
        E::builder().long_poll_watchdog(Duration::from_millis(20), move |t, ran| {
            r.lock()
                .unwrap()
                .push((t.name().map(String::from), t.spawned_at().line(), ran));
            let _ = tx.lock().unwrap().send(());
        }),
    );
    // Blocks in its first poll until reported, then for a while longer (more samples, which
    // must not report it again), then finishes.
    let blocker = ex.spawn(Some("first-poll"), async move {
        rx.recv().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    });
    let line = line!() - 4;
    let quick = ex.spawn(None, async {
        for _ in 0..100 {
            yield_now().await;
        }
    });
    ex.block_on(blocker);
    ex.block_on(quick);
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    let (name, at, ran) = &reports[0];
    assert_eq!((name.as_deref(), *at), (Some("first-poll"), line));
    assert!(*ran >= Duration::from_millis(20));
}

on_both!(the_lost_task_report_names_each_lost_task_once_and_nothing_else:
    the_lost_task_report_on_an_executor, the_lost_task_report_on_a_local_executor);

fn the_lost_task_report_names_each_lost_task_once_and_nothing_else<E: AnyExecutor>() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let ex = E::build(E::builder().on_lost_task(move |t| {
        let _ = tx.lock().unwrap().send(t.id());
    }));
    let (chan_tx, chan_rx) = futures::channel::oneshot::channel::<()>();
    let on_channel = ex.spawn(None, async move { chan_rx.await.ok() });
    let on_timer = ex.spawn(None, timers::sleep(Duration::from_secs(3600)));
    let forever = ex.spawn(None, pending::<()>());
    let dropped = ex.spawn(
        None,
        poll_fn(|cx| {
            drop(cx.waker().clone());
            Poll::<()>::Pending
        }),
    );
    ex.block_on(yield_now()); // each task gets to run once, and wait
    let mut lost = HashSet::new();
    lost.insert(rx.recv().unwrap());
    lost.insert(rx.recv().unwrap());
    assert_eq!(lost, HashSet::from([forever.id(), dropped.id()]));
    // Several more periods: no report of the same tasks again, none of the others.
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    chan_tx.send(()).unwrap();
    assert_eq!(ex.block_on(on_channel), Some(()));
    on_timer.abort();
}

on_both!(a_spinning_task_is_reported_busy_and_a_briefly_yielding_one_is_not:
    the_busy_task_report_on_an_executor, the_busy_task_report_on_a_local_executor);

fn a_spinning_task_is_reported_busy_and_a_briefly_yielding_one_is_not<E: AnyExecutor>() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let ex = E::build(E::builder().on_busy_task(200, move |t| {
        let _ = tx.lock().unwrap().send((t.id(), t.self_wake_streak()));
    }));
    let (gate_tx, gate_rx) = futures::channel::oneshot::channel::<()>();
    let brief = ex.spawn(None, async move {
        for _ in 0..50 {
            yield_now().await;
        }
        gate_rx.await.ok();
    });
    let spinner = ex.spawn(None, async {
        loop {
            yield_now().await;
        }
    });
    // Drive the tasks (a local executor only runs while we do) until a report comes, then
    // for several more periods: the spinner is reported once per streak, the other never.
    let mut reports = Vec::new();
    ex.block_on(async {
        let mut quiet_since = None;
        while quiet_since.is_none_or(|t: Instant| t.elapsed() < Duration::from_millis(300)) {
            if let Ok(report) = rx.try_recv() {
                reports.push(report);
                quiet_since = Some(Instant::now());
            }
            yield_now().await;
        }
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    let (id, streak) = reports[0];
    assert_eq!(id, spinner.id());
    assert!(streak >= 200);
    spinner.abort();
    gate_tx.send(()).unwrap();
    ex.block_on(brief);
}

#[test]
fn a_local_builder_without_options_is_a_plain_local_executor() {
    let ex = LocalExecutor::builder().build();
    let rc = std::rc::Rc::new(5);
    let h = ex.task().name("plain").spawn(async move { *rc });
    assert_eq!(ex.block_on(h), 5);
    let debug = format!("{:?}", LocalExecutor::builder());
    assert!(debug.contains("LocalExecutor"), "{debug}");
}
