//! Task ids, names, spawn locations and dumps, through the public API.

mod common;

use std::collections::HashSet;
use std::future::{Future, pending, poll_fn};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Poll, Waker};
use std::time::Duration;

use common::within;
use executor::{
    Executor, LocalExecutor, TaskId, TaskState, spawn, spawn_local, task_id, yield_now,
};

const LIMIT: Duration = Duration::from_secs(60);

/// Pending once (so the task is listed in dumps), keeping no waker: lost afterwards.
fn wait_forever() -> impl Future<Output = ()> + Send + 'static {
    pending()
}

#[test]
fn ids_are_unique_over_100k_spawns_on_several_runners() {
    within(LIMIT, || {
        let ex = Executor::builder().worker_threads(2).build();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let outer: Vec<_> = (0..4)
            .map(|_| {
                let seen = seen.clone();
                ex.spawn(async move {
                    let handles: Vec<_> = (0..25_000)
                        .map(|_| spawn(async { task_id().expect("inside a task") }))
                        .collect();
                    let mut ids = Vec::with_capacity(handles.len());
                    for h in handles {
                        let id = h.id();
                        assert_eq!(h.await, id, "task_id() inside equals handle.id()");
                        ids.push(id);
                    }
                    seen.lock().unwrap().extend(ids);
                })
            })
            .collect();
        for h in outer {
            block_on::block_on(h);
        }
        let seen = seen.lock().unwrap();
        let unique: HashSet<TaskId> = seen.iter().copied().collect();
        assert_eq!(seen.len(), 100_000);
        assert_eq!(unique.len(), 100_000, "an id was given twice");
    });
}

#[test]
fn task_id_is_none_in_a_block_on_root_and_after_a_panic() {
    let ex = Executor::new();
    ex.block_on(async {
        assert_eq!(task_id(), None, "a block_on root is not a task");
        let bad = spawn(async { panic!("boom") });
        assert!(bad.try_join().await.unwrap_err().is_panic());
        assert_eq!(task_id(), None, "after a task panicked");
    });
    assert_eq!(task_id(), None);
    assert_eq!(block_on::block_on(async { task_id() }), None);
}

/// The spawn location (file, line) and name the dump lists for each id.
fn locations(dump: executor::Dump, ids: &[TaskId]) -> Vec<(&'static str, u32, Option<String>)> {
    ids.iter()
        .map(|id| {
            let t = dump
                .tasks()
                .find(|t| t.id() == *id)
                .unwrap_or_else(|| panic!("task {id} listed"));
            (
                t.spawned_at().file(),
                t.spawned_at().line(),
                t.name().map(String::from),
            )
        })
        .collect()
}

#[test]
fn every_spawn_path_records_the_callers_file_and_line() {
    let ex = Executor::new();
    let mut expected = Vec::new();
    let a = ex.spawn(wait_forever());
    expected.push((file!(), line!() - 1, None));
    let b = ex.task().name("named").spawn(wait_forever());
    expected.push((file!(), line!() - 1, Some("named".to_string())));
    let (c, line_c) = ex.block_on(async {
        let h = spawn(wait_forever());
        (h, line!() - 1)
    });
    expected.push((file!(), line_c, None));
    ex.block_on(yield_now());
    let ids = [a.id(), b.id(), c.id()];
    assert_eq!(locations(ex.dump(), &ids), expected);

    let local = LocalExecutor::new();
    let mut expected = Vec::new();
    let d = local.spawn(wait_forever());
    expected.push((file!(), line!() - 1, None));
    let e = local.task().name("local").spawn(wait_forever());
    expected.push((file!(), line!() - 1, Some("local".to_string())));
    let (f, line_f) = local.block_on(async {
        let h = spawn_local(wait_forever());
        (h, line!() - 1)
    });
    expected.push((file!(), line_f, None));
    local.block_on(yield_now());
    let ids = [d.id(), e.id(), f.id()];
    assert_eq!(locations(local.dump(), &ids), expected);
}

#[test]
fn a_hundred_dumps_leave_every_poll_count_unchanged() {
    let ex = Executor::new();
    let handles: Vec<_> = (0..10).map(|_| ex.spawn(wait_forever())).collect();
    ex.block_on(yield_now());
    let polls = |d: executor::Dump| d.tasks().map(|t| (t.id(), t.polls())).collect::<Vec<_>>();
    let before = polls(ex.dump());
    assert_eq!(before.len(), handles.len());
    assert!(before.iter().all(|&(_, p)| p == 1));
    for _ in 0..100 {
        let _ = ex.dump();
    }
    assert_eq!(polls(ex.dump()), before);
}

#[test]
fn a_dump_returns_while_a_runner_is_stuck_in_a_long_poll() {
    within(LIMIT, || {
        let ex = Executor::builder().worker_threads(1).build();
        let (stuck_tx, stuck_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let released_by_dump = Arc::new(AtomicBool::new(false));
        let flag = released_by_dump.clone();
        let mut first = true;
        let handle = ex.task().name("blocker").spawn(poll_fn(move |cx| {
            if std::mem::take(&mut first) {
                cx.waker().wake_by_ref(); // wait once, so the task is listed
                return Poll::Pending;
            }
            stuck_tx.send(()).unwrap();
            // A blocking call inside async code: the runner is stuck until the dump is done.
            // (The timeout only keeps a broken dump from hanging the test forever.)
            if release_rx.recv_timeout(Duration::from_secs(30)).is_ok() {
                flag.store(true, Ordering::SeqCst);
            }
            Poll::Ready(())
        }));
        stuck_rx.recv().unwrap();
        let dump = ex.dump();
        release_tx.send(()).unwrap();
        block_on::block_on(handle);
        assert!(
            released_by_dump.load(Ordering::SeqCst),
            "the dump returned while the runner was stuck"
        );
        let t = dump.tasks().next().expect("the stuck task is listed");
        assert_eq!(t.state(), TaskState::Running);
        assert_eq!(t.name(), Some("blocker"));
        assert_eq!(t.polls(), 2);
        assert!(!t.is_lost());
    });
}

#[test]
fn tasks_without_a_waker_are_lost_and_waiting_tasks_are_not() {
    let ex = Executor::new();
    let forever = ex.spawn(pending::<()>());
    // Keeps its waker once, then drops it: nothing can wake it any more.
    let waker_dropped = ex.spawn({
        let mut polled = false;
        poll_fn(move |cx| {
            if !polled {
                polled = true;
                drop(cx.waker().clone());
            }
            Poll::<()>::Pending
        })
    });
    // Its waker sits in a channel: not lost.
    let (tx, rx) = futures::channel::oneshot::channel::<u8>();
    let on_channel = ex.spawn(async move { rx.await.ok() });
    // Its waker sits somewhere we keep (like a reactor or a timer wheel): not lost.
    let kept: Arc<Mutex<Option<Waker>>> = Arc::default();
    let k = kept.clone();
    let on_waker = ex.spawn(poll_fn(move |cx| {
        *k.lock().unwrap() = Some(cx.waker().clone());
        Poll::<()>::Pending
    }));
    // Detached, waiting on a channel: its handle is gone, it is still not lost.
    let (tx2, rx2) = futures::channel::oneshot::channel::<u8>();
    drop(ex.spawn(async move { rx2.await.ok() }));
    ex.block_on(yield_now());

    let dump = ex.dump();
    let lost: HashSet<TaskId> = dump
        .tasks()
        .filter(|t| t.is_lost())
        .map(|t| t.id())
        .collect();
    assert_eq!(
        lost,
        HashSet::from([forever.id(), waker_dropped.id()]),
        "{dump}"
    );
    assert_eq!(dump.tasks().count(), 5);
    assert!(dump.tasks().all(|t| t.state() == TaskState::Idle));

    tx.send(1).unwrap();
    tx2.send(2).unwrap();
    kept.lock().unwrap().take().unwrap().wake();
    assert_eq!(ex.block_on(on_channel), Some(1));
    let left = ex.dump();
    let left: Vec<_> = left.tasks().map(|t| (t.id(), t.is_lost())).collect();
    assert_eq!(
        left,
        [
            (forever.id(), true),
            (waker_dropped.id(), true),
            (on_waker.id(), false)
        ],
        "woken again, the waker task stored a new waker"
    );
}

#[test]
fn no_task_is_flagged_lost_during_ping_pong() {
    ping_pong_with_dumps(10_000, LIMIT);
}

/// The size: 4 pairs x 125 000 round trips, a million polls.
#[test]
#[ignore = "a million polls: run with --ignored"]
fn no_task_is_flagged_lost_during_a_million_ping_pong_polls() {
    ping_pong_with_dumps(125_000, Duration::from_secs(600));
}

/// Four ping-pong pairs of `round_trips` each on two runners, dumped continuously from
/// another thread, with the lost-task and busy-task reports on: nothing is ever flagged.
fn ping_pong_with_dumps(round_trips: u32, limit: Duration) {
    within(limit, move || {
        let flagged = Arc::new(AtomicBool::new(false));
        let f = flagged.clone();
        let b = flagged.clone();
        let ex = Arc::new(
            Executor::builder()
                .worker_threads(2)
                .on_lost_task(move |_| f.store(true, Ordering::SeqCst))
                .on_busy_task(1000, move |_| b.store(true, Ordering::SeqCst))
                .build(),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let dumper = {
            let (ex, stop) = (ex.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut dumps = 0;
                while !stop.load(Ordering::SeqCst) {
                    let dump = ex.dump();
                    assert!(dump.tasks().all(|t| !t.is_lost()), "{dump}");
                    dumps += 1;
                }
                dumps
            })
        };
        let pairs: Vec<_> = (0..4)
            .map(|_| {
                let (a_tx, mut a_rx) = futures::channel::mpsc::channel::<u32>(1);
                let (mut b_tx, mut b_rx) = futures::channel::mpsc::channel::<u32>(1);
                let mut a_tx2 = a_tx.clone();
                let ping = ex.spawn(async move {
                    use futures::{SinkExt, StreamExt};
                    for i in 0..round_trips {
                        b_tx.send(i).await.unwrap();
                        assert_eq!(a_rx.next().await, Some(i));
                    }
                });
                let pong = ex.spawn(async move {
                    use futures::{SinkExt, StreamExt};
                    while let Some(i) = b_rx.next().await {
                        a_tx2.send(i).await.unwrap();
                    }
                });
                drop(a_tx);
                (ping, pong)
            })
            .collect();
        for (ping, pong) in pairs {
            block_on::block_on(ping);
            block_on::block_on(pong);
        }
        stop.store(true, Ordering::SeqCst);
        assert!(dumper.join().unwrap() > 0);
        assert!(
            !flagged.load(Ordering::SeqCst),
            "the lost-task report fired"
        );
    });
}

#[test]
fn a_dump_during_many_concurrent_spawns_neither_deadlocks_nor_crashes() {
    dumps_during_spawns(50_000, LIMIT);
}

/// The size: a million spawns.
#[test]
#[ignore = "a million spawns: run with --ignored"]
fn a_dump_during_a_million_concurrent_spawns_neither_deadlocks_nor_crashes() {
    dumps_during_spawns(500_000, Duration::from_secs(600));
}

/// Two tasks spawn `per_spawner` tasks each (which yield once) on two runners while another
/// thread dumps in a loop.
fn dumps_during_spawns(per_spawner: u32, limit: Duration) {
    within(limit, move || {
        let ex = Arc::new(Executor::builder().worker_threads(2).build());
        let stop = Arc::new(AtomicBool::new(false));
        let dumper = {
            let (ex, stop) = (ex.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut listed = 0;
                while !stop.load(Ordering::SeqCst) {
                    listed = listed.max(ex.dump().tasks().count());
                }
                listed
            })
        };
        let spawners: Vec<_> = (0..2)
            .map(|_| {
                ex.spawn(async move {
                    let handles: Vec<_> = (0..per_spawner)
                        .map(|_| spawn(async { yield_now().await }))
                        .collect();
                    for h in handles {
                        h.await;
                    }
                })
            })
            .collect();
        for s in spawners {
            block_on::block_on(s);
        }
        stop.store(true, Ordering::SeqCst);
        dumper.join().unwrap();
        // A task's handle resolves just before its runner takes it out of the registry, so a
        // dump may still list a spawner, as finished.
        let left = ex.dump();
        assert!(
            left.tasks().all(|t| t.state() == TaskState::Finished),
            "{left}"
        );
    });
}

#[test]
fn the_dump_table_has_a_header_and_one_line_per_task() {
    let ex = Executor::new();
    let _a = ex.task().name("alpha").spawn(wait_forever());
    let _b = ex.spawn(wait_forever());
    ex.block_on(yield_now());
    let table = ex.dump().to_string();
    let lines: Vec<_> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("2 waiting task(s), 2 lost"));
    assert!(lines[1].contains("spawned at"));
    assert!(lines[2].contains("alpha") && lines[2].contains("idle") && lines[2].contains("LOST"));
    assert!(lines[3].contains(file!()));
}

#[test]
fn a_task_waiting_on_a_timer_is_not_lost() {
    let ex = Executor::new();
    let sleeper = ex.spawn(timers::sleep(Duration::from_secs(3600)));
    ex.block_on(yield_now());
    let dump = ex.dump();
    let t = dump.tasks().next().expect("listed");
    assert_eq!((t.id(), t.state()), (sleeper.id(), TaskState::Idle));
    assert!(!t.is_lost(), "the timer holds its waker");
    sleeper.abort();
}

/// A simulator that keeps every runnable spawned into it.
#[derive(Default)]
struct Keep(Mutex<Vec<join_handle::Runnable>>);

impl join_handle::Schedule for Keep {
    fn schedule(&self, runnable: join_handle::Runnable) {
        self.0.lock().unwrap().push(runnable);
    }
}

struct KeepAll(Arc<Keep>);

impl executor::sim::Simulator for KeepAll {
    fn task(&self) -> Arc<dyn join_handle::Schedule> {
        self.0.clone()
    }
}

#[test]
fn the_simulator_spawn_paths_record_the_callers_file_and_line() {
    let kept = Arc::new(Keep::default());
    let entered = executor::sim::enter(std::rc::Rc::new(KeepAll(kept.clone())));
    let a = spawn(async {});
    let line_a = line!() - 1;
    let b = spawn_local(async {});
    let line_b = line!() - 1;
    drop(entered);
    let runnables = std::mem::take(&mut *kept.0.lock().unwrap());
    let spawned: Vec<_> = runnables
        .iter()
        .map(|r| {
            let t = r.task_ref().snapshot();
            (t.id(), t.spawned_at().file(), t.spawned_at().line())
        })
        .collect();
    assert_eq!(
        spawned,
        [(a.id(), file!(), line_a), (b.id(), file!(), line_b)]
    );
    for r in runnables {
        r.run();
    }
}
