//! The handle side of the contract, driven by hand with a toy scheduler.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use join_handle::{JoinHandle, Outcome, Runnable, Schedule, TaskEvent, TaskRef};
use wakers::CountingWaker;

use testkit::ToyQueue as Queue;

/// Whether the gate is open, and the waker of the task waiting at it.
type Gate = Arc<Mutex<(bool, Option<Waker>)>>;

/// Pending until its gate is opened, then ready with `value`.
fn gated(value: u32) -> (impl Future<Output = u32> + Send, Gate) {
    let gate = Arc::new(Mutex::new((false, None::<Waker>)));
    let g = gate.clone();
    let fut = std::future::poll_fn(move |cx| {
        let mut gate = g.lock().unwrap();
        if gate.0 {
            Poll::Ready(value)
        } else {
            gate.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    });
    (fut, gate)
}

fn open(gate: &Gate) {
    let waker = {
        let mut gate = gate.lock().unwrap();
        gate.0 = true;
        gate.1.take()
    };
    waker.expect("the task registered its waker").wake();
}

fn poll_handle<T>(handle: &mut JoinHandle<T>, waker: &Waker) -> Poll<T> {
    Pin::new(handle).poll(&mut Context::from_waker(waker))
}

#[test]
fn only_the_latest_join_waker_is_woken() {
    let queue = Queue::default();
    let (fut, gate) = gated(7);
    let (runnable, mut handle) = join_handle::spawn(fut, queue.clone());
    runnable.run();
    let (first, second) = (CountingWaker::new(), CountingWaker::new());
    assert!(poll_handle(&mut handle, &first.waker()).is_pending());
    assert!(poll_handle(&mut handle, &first.waker()).is_pending()); // same waker: kept
    assert!(poll_handle(&mut handle, &second.waker()).is_pending()); // replaced
    open(&gate);
    assert_eq!(queue.run_all(), 1);
    assert_eq!((first.wakes(), second.wakes()), (0, 1));
    assert_eq!(poll_handle(&mut handle, &second.waker()), Poll::Ready(7));
}

#[test]
fn a_dropped_handle_withdraws_its_waker_and_the_output_is_dropped_at_completion() {
    let queue = Queue::default();
    let (fut, gate) = gated(1);
    let output_probe = Arc::new(());
    let probe = output_probe.clone();
    let (runnable, mut handle) =
        join_handle::spawn(async move { (fut.await, probe) }, queue.clone());
    runnable.run();
    let waiter = CountingWaker::new();
    assert!(poll_handle(&mut handle, &waiter.waker()).is_pending());
    drop(handle);
    open(&gate);
    queue.run_all();
    assert_eq!(waiter.wakes(), 0, "a dropped handle's waker is not woken");
    assert_eq!(
        Arc::strong_count(&output_probe),
        1,
        "the unclaimed output was dropped"
    );
    assert_eq!(
        queue.events(),
        [
            TaskEvent::FirstPending,
            TaskEvent::Completed {
                pended: true,
                outcome: Outcome::Output
            }
        ],
        "reported idle once, completed once"
    );
}

#[test]
fn completion_before_the_first_handle_poll_is_seen_at_once() {
    let queue = Queue::default();
    let (runnable, mut handle) = join_handle::spawn(async { "early" }, queue.clone());
    runnable.run();
    assert!(handle.is_finished());
    let waker = CountingWaker::new();
    assert_eq!(
        poll_handle(&mut handle, &waker.waker()),
        Poll::Ready("early")
    );
    assert_eq!(waker.wakes(), 0);
}

#[test]
#[should_panic(expected = "JoinHandle polled after it returned the task's output")]
fn polling_a_handle_after_its_output_panics_clearly() {
    let queue = Queue::default();
    let (runnable, mut handle) = join_handle::spawn(async { 1 }, queue);
    runnable.run();
    let waker = CountingWaker::new().waker();
    let _ = poll_handle(&mut handle, &waker);
    let _ = poll_handle(&mut handle, &waker);
}

#[test]
fn an_executor_can_keep_its_own_index_of_pending_tasks() {
    #[derive(Clone, Default)]
    struct Indexing(Queue, Arc<Mutex<std::collections::HashSet<TaskRef>>>);
    impl Schedule for Indexing {
        fn schedule(&self, runnable: Runnable) {
            self.0.schedule(runnable);
        }
        fn task_event(&self, task: &TaskRef, event: TaskEvent) {
            match event {
                TaskEvent::FirstPending => assert!(self.1.lock().unwrap().insert(task.clone())),
                // Drop our reference, as an executor does: keeping it would be a task ->
                // scheduler -> task cycle.
                TaskEvent::Completed { pended, .. } => {
                    assert_eq!(self.1.lock().unwrap().remove(task), pended)
                }
                _ => unreachable!(),
            }
            self.0.task_event(task, event);
        }
    }
    let sched = Indexing::default();
    let (fut, gate) = gated(3);
    let (runnable, handle) = join_handle::spawn(fut, sched.clone());
    let quick = join_handle::spawn(async {}, sched.clone());
    runnable.run();
    quick.0.run();
    assert_eq!(
        sched.1.lock().unwrap().len(),
        1,
        "indexed when it went idle"
    );
    assert!(
        sched
            .1
            .lock()
            .unwrap()
            .iter()
            .all(|t| t.id() == handle.id())
    );
    open(&gate);
    sched.0.run_all();
    assert!(sched.1.lock().unwrap().is_empty());
    assert_eq!(
        sched.0.events(),
        [
            TaskEvent::FirstPending,
            TaskEvent::Completed {
                pended: false,
                outcome: Outcome::Output
            },
            TaskEvent::Completed {
                pended: true,
                outcome: Outcome::Output
            }
        ]
    );
    assert_eq!(block_on::block_on(handle), 3);
}
