//! The next slot of a runner's queue (`LocalQueue`, "The next slot"): the first task that the
//! poll of a task wakes runs next on the same runner, and never waits behind a runner that
//! blocks. (The cap on slot runs in a row is tested in `runner`, next to it.) The deadlines of `within` and `recv_timeout` only turn a
//! hang into a failure; they bound no speed.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Poll, Waker};
use std::time::Duration;

use executor::{Executor, spawn, yield_now};
use testkit::within;

/// Generous: only turns a hang into a failure.
const DEADLINE: Duration = Duration::from_secs(60);

/// A waker published by a pending task, for another task to call.
type Slot = Arc<Mutex<Option<Waker>>>;

/// The order in which tasks ran.
type Log = Arc<Mutex<Vec<&'static str>>>;

/// A task that records `name` in `log` at each poll, and is pending until its waker (stored
/// in `waker`) has been called once.
fn waiter(
    name: &'static str,
    log: &Log,
    waker: &Slot,
) -> impl Future<Output = ()> + Send + 'static {
    let (log, waker) = (log.clone(), waker.clone());
    let mut parked = false;
    poll_fn(move |cx| {
        log.lock().unwrap().push(name);
        if parked {
            return Poll::Ready(());
        }
        parked = true;
        *waker.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    })
}

#[test]
fn the_task_a_poll_wakes_runs_next_and_a_yielding_or_spawned_task_goes_behind_the_queue() {
    let ex = Executor::new();
    let log: Log = Arc::default();
    let waker: Slot = Arc::default();
    let note = |log: &Log, name| log.lock().unwrap().push(name);
    ex.block_on(async {
        let woken = spawn(waiter("woken", &log, &waker));
        yield_now().await; // `woken` runs once and waits
        let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
        let waking = spawn(async move {
            note(&l1, "waking");
            yield_now().await; // behind `first` and `second`, not in the slot
            note(&l1, "waking again");
            let l4 = l1.clone();
            drop(spawn(async move { note(&l4, "spawned") })); // behind `first` too
            waker.lock().unwrap().take().expect("published").wake();
        });
        let first = spawn(async move {
            note(&l2, "first");
            yield_now().await;
            note(&l2, "first again");
        });
        let second = spawn(async move { note(&l3, "second") });
        waking.await;
        first.await;
        second.await;
        woken.await;
        yield_now().await; // `spawned` has run
    });
    assert_eq!(
        *log.lock().unwrap(),
        [
            "woken",
            "waking",
            "first",
            "second",
            "waking again",
            "woken",
            "first again",
            "spawned"
        ],
        "a yield and a spawn go behind the queue; the task a poll wakes runs before them"
    );
}

#[test]
fn a_task_woken_by_a_completion_goes_behind_the_queue() {
    let ex = Executor::new();
    let log: Log = Arc::default();
    let waker: Slot = Arc::default();
    let note = |log: &Log, name| log.lock().unwrap().push(name);
    ex.block_on(async {
        let child = spawn(waiter("child", &log, &waker));
        yield_now().await; // `child` runs once and waits
        let (l1, l2) = (log.clone(), log.clone());
        let parent = spawn(async move {
            note(&l1, "parent");
            // Woken by this poll: into the slot, so it runs next and completes.
            waker.lock().unwrap().take().expect("published").wake();
            child.await;
            note(&l1, "parent again");
        });
        let queued = spawn(async move { note(&l2, "queued") });
        parent.await;
        queued.await;
    });
    assert_eq!(
        *log.lock().unwrap(),
        ["child", "parent", "child", "queued", "parent again"],
        "the child runs next; its completion queues the parent behind the waiting task"
    );
}

#[test]
fn a_task_woken_into_the_slot_of_a_runner_that_blocks_runs_on_the_other_runner() {
    within(DEADLINE, || {
        // Two runners: the caller's `block_on` and one worker.
        let ex = Executor::builder().worker_threads(1).build();
        for _ in 0..5 {
            let go = Arc::new(AtomicBool::new(false));
            let waker: Slot = Arc::default();
            let (parked_tx, parked_rx) = mpsc::channel();
            let (ran_tx, ran_rx) = mpsc::channel();
            let woken = {
                let (go, waker) = (go.clone(), waker.clone());
                ex.spawn(poll_fn(move |cx| {
                    if go.load(Ordering::SeqCst) {
                        let _ = ran_tx.send(()); // gone only if the waker timed out
                        return Poll::Ready(());
                    }
                    *waker.lock().unwrap() = Some(cx.waker().clone());
                    parked_tx.send(()).unwrap();
                    Poll::Pending
                }))
            };
            parked_rx.recv().unwrap();
            // A task whose wake puts `woken` in its runner's slot, alone; then it blocks that
            // runner until `woken` has run elsewhere.
            let waking = ex.spawn(async move {
                go.store(true, Ordering::SeqCst);
                waker.lock().unwrap().take().expect("published").wake();
                ran_rx.recv_timeout(Duration::from_secs(10))
            });
            ex.block_on(async {
                waking
                    .await
                    .expect("the woken task waited in the slot of a blocked runner");
                woken.await;
            });
        }
    });
}
