//! Tasks that misbehave: run on the wrong thread, or panic with payloads whose destructors
//! panic. `Runnable::run` must never unwind into the executor because of them, the task must
//! still be reported completed exactly once, and its handle must still resolve.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind, panic_any};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use testkit::ToyQueue as Queue;

/// A panic payload (or an output) whose destructor panics.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("a Bomb's destructor panics");
    }
}

/// Panics in `poll` with a plain message; its own destructor panics with a `Bomb` payload.
struct PanicsTwice;

impl Future for PanicsTwice {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        panic!("poll panics");
    }
}

impl Drop for PanicsTwice {
    fn drop(&mut self) {
        panic_any(Bomb);
    }
}

#[test]
fn a_panicking_destructor_after_a_panicking_poll_stays_inside_run() {
    let queue = Queue::default();
    let (runnable, handle) = join_handle::spawn(PanicsTwice, queue.clone());
    let ran = catch_unwind(AssertUnwindSafe(|| runnable.run()));
    assert!(ran.is_ok(), "a panic escaped Runnable::run");
    assert_eq!(queue.completed(), 1, "completion reported once");
    assert!(handle.is_finished());
    let err = block_on::block_on(handle.try_join()).unwrap_err();
    assert!(err.is_panic());
}

#[test]
fn a_detached_output_whose_destructor_panics_with_a_bomb_stays_inside_run() {
    struct Output;
    impl Drop for Output {
        fn drop(&mut self) {
            panic_any(Bomb);
        }
    }
    let queue = Queue::default();
    let (runnable, handle) = join_handle::spawn(async { Output }, queue.clone());
    drop(handle);
    let ran = catch_unwind(AssertUnwindSafe(|| runnable.run()));
    assert!(ran.is_ok(), "a panic escaped Runnable::run");
    assert_eq!(queue.completed(), 1, "completion reported once");
}

/// A panic payload whose destructor panics with a `Bomb`, whose destructor panics again.
struct DoubleBomb;

impl Drop for DoubleBomb {
    fn drop(&mut self) {
        panic_any(Bomb);
    }
}

#[test]
fn a_panic_payload_whose_destructor_panics_is_dropped_inside_run_when_detached() {
    let queue = Queue::default();
    let (runnable, handle) = join_handle::spawn(async { panic_any(DoubleBomb) }, queue.clone());
    drop(handle);
    let ran = catch_unwind(AssertUnwindSafe(|| runnable.run()));
    assert!(ran.is_ok(), "a panic escaped Runnable::run");
    assert_eq!(queue.completed(), 1, "completion reported once");
}

#[test]
fn a_join_waker_that_panics_with_a_bomb_stays_inside_run() {
    let queue = Queue::default();
    let (fut_waker_tx, fut_waker_rx) = std::sync::mpsc::channel();
    let (runnable, mut handle) = join_handle::spawn(
        {
            let mut first = true;
            std::future::poll_fn(move |cx| {
                if std::mem::take(&mut first) {
                    fut_waker_tx.send(cx.waker().clone()).unwrap();
                    Poll::Pending
                } else {
                    Poll::Ready(3)
                }
            })
        },
        queue.clone(),
    );
    runnable.run();
    let bomb_waker = wakers::waker_fn(|| panic_any(Bomb));
    assert!(
        Pin::new(&mut handle)
            .poll(&mut Context::from_waker(&bomb_waker))
            .is_pending()
    );
    fut_waker_rx.recv().unwrap().wake();
    let again = queue.pop().expect("the wake queued the task");
    let ran = catch_unwind(AssertUnwindSafe(|| again.run()));
    assert!(ran.is_ok(), "a panic escaped Runnable::run");
    assert_eq!(queue.completed(), 1, "completion reported once");
    assert_eq!(block_on::block_on(handle), 3);
}

#[test]
fn a_local_task_run_on_another_thread_stays_cancellable_by_its_owner() {
    let queue = Queue::default();
    let (runnable, handle) = join_handle::spawn_local(std::future::pending::<()>(), queue.clone());
    let task = runnable.task_ref();
    let foreign = std::thread::spawn(move || catch_unwind(AssertUnwindSafe(|| runnable.run())))
        .join()
        .unwrap();
    assert!(foreign.is_err(), "running a local task elsewhere panics");
    assert!(!handle.is_finished());
    // The owner's shutdown still cancels it: the foreign run claimed nothing.
    task.shutdown();
    assert!(
        handle.is_finished(),
        "the owner's shutdown cancelled the task"
    );
    assert!(
        block_on::block_on(handle.try_join())
            .unwrap_err()
            .is_cancelled()
    );
    assert_eq!(queue.completed(), 1);
    // The foreign run handed the task back to the queue; that entry now does nothing.
    queue.pop().expect("handed back").run();
    assert!(queue.pop().is_none());
}

#[test]
fn a_local_task_run_on_another_thread_is_queued_again_for_its_owner() {
    let queue = Queue::default();
    let (runnable, handle) = join_handle::spawn_local(async { 5 }, queue.clone());
    let foreign = std::thread::spawn(move || catch_unwind(AssertUnwindSafe(|| runnable.run())))
        .join()
        .unwrap();
    assert!(foreign.is_err(), "running a local task elsewhere panics");
    let back = queue
        .pop()
        .expect("the wrong thread gave the task back to its queue");
    back.run();
    assert_eq!(block_on::block_on(handle), 5);
}

#[test]
fn the_current_task_id_is_set_for_the_run_and_cleared_after_a_panic() {
    let queue = Queue::default();
    let (runnable, handle) = join_handle::spawn(
        async {
            let inside = join_handle::TaskId::current();
            panic_any(inside);
        },
        queue.clone(),
    );
    let id = handle.id();
    runnable.run();
    assert_eq!(
        join_handle::TaskId::current(),
        None,
        "cleared after the panic"
    );
    let payload = block_on::block_on(handle.try_join())
        .unwrap_err()
        .into_panic();
    assert_eq!(
        payload.downcast_ref::<Option<join_handle::TaskId>>(),
        Some(&Some(id)),
        "the task saw its own id"
    );
}

/// Records `TaskId::current()` when dropped.
struct SeesItsId(Arc<Mutex<Vec<Option<join_handle::TaskId>>>>);

impl Drop for SeesItsId {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(join_handle::TaskId::current());
    }
}

#[test]
fn a_future_dropped_outside_a_run_sees_its_own_task_id() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let pending = |seen: &Arc<Mutex<Vec<_>>>| {
        let guard = SeesItsId(seen.clone());
        async move {
            std::future::pending::<()>().await;
            drop(guard);
        }
    };
    // Dropped by an abort, from the thread that holds the handle (no run in progress).
    let queue = Queue::default();
    let (runnable, aborted) = join_handle::spawn(pending(&seen), queue.clone());
    runnable.run();
    aborted.abort();
    // Dropped by an executor's shutdown of its idle task.
    let (runnable, shut) = join_handle::spawn(pending(&seen), queue.clone());
    let task = runnable.task_ref();
    runnable.run();
    task.shutdown();
    assert_eq!(
        *seen.lock().unwrap(),
        [Some(aborted.id()), Some(shut.id())],
        "each destructor saw its own task's id"
    );
    assert_eq!(join_handle::TaskId::current(), None, "and nothing after");
}
