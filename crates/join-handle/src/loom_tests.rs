//! Loom models of the task state machine (`state` and `cell`), run with
//! `RUSTFLAGS="--cfg loom" cargo test -p join-handle --release --lib loom`.
//!
//! Each model spawns one task on a toy scheduler whose queue is a loom mutex, runs it on loom
//! threads while other threads wake, abort or drop its handle, and then checks what must hold
//! in every interleaving:
//!
//! * the task is never in the queue twice and never polled by two threads at once;
//! * no wake-up is lost: once the threads are done and the queue is drained, the task is
//!   complete;
//! * the future and the output are each dropped exactly once, and the completion is
//!   reported to the scheduler exactly once;
//! * the handle resolves (output, or cancellation) without blocking;
//! * the reference count in the state word frees the cell exactly once, after its last
//!   holder (runnable, handle or waker, on whichever thread) lets go.

use std::collections::VecDeque;
use std::future::Future;
use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use loom::sync::Mutex;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::thread;
use wakers::CountingWaker;

use crate::{JoinError, JoinHandle, Runnable, Schedule, TaskEvent, TaskRef};

/// The toy executor: a queue of runnables, and a count of completions reported.
#[derive(Default)]
struct Queue {
    runnables: Mutex<VecDeque<Runnable>>,
    released: AtomicUsize,
}

impl Queue {
    /// Runs queued tasks until the queue is empty (the lock is not held while a task runs).
    fn drain(&self) {
        loop {
            let next = self.runnables.lock().unwrap().pop_front();
            match next {
                Some(runnable) => runnable.run(),
                None => return,
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.runnables.lock().unwrap().is_empty()
    }
}

struct Sched(Arc<Queue>);

impl Schedule for Sched {
    fn schedule(&self, runnable: Runnable) {
        let mut queue = self.0.runnables.lock().unwrap();
        queue.push_back(runnable);
        // Every model has a single task.
        assert!(queue.len() <= 1, "the task was queued twice");
    }

    fn task_event(&self, _: &TaskRef, event: TaskEvent) {
        if let TaskEvent::Completed { .. } = event {
            self.0.released.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Counts its own drops.
struct Tracked(Arc<AtomicUsize>);

impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// What the future waits for: a flag, and the waker to call when it is set.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waker: Mutex<Option<Waker>>,
    polling: AtomicUsize,
}

impl Gate {
    fn opened() -> Arc<Gate> {
        let gate = Gate::default();
        gate.open.store(true, Ordering::Relaxed);
        Arc::new(gate)
    }

    /// Sets the flag, then wakes whoever registered (the waker stays registered, so a second
    /// `open` wakes again).
    fn open(&self) {
        self.open.store(true, Ordering::Release);
        if let Some(waker) = self.waker.lock().unwrap().as_ref() {
            waker.wake_by_ref();
        }
    }
}

/// Ready (with a tracked output) once its gate is open.
struct WaitGate {
    gate: Arc<Gate>,
    output_drops: Arc<AtomicUsize>,
    _future_drop: Tracked,
}

impl Future for WaitGate {
    type Output = Tracked;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Tracked> {
        let gate = &self.gate;
        assert_eq!(
            gate.polling.fetch_add(1, Ordering::AcqRel),
            0,
            "polled twice at once"
        );
        *gate.waker.lock().unwrap() = Some(cx.waker().clone());
        let result = if gate.open.load(Ordering::Acquire) {
            Poll::Ready(Tracked(self.output_drops.clone()))
        } else {
            Poll::Pending
        };
        gate.polling.fetch_sub(1, Ordering::AcqRel);
        result
    }
}

/// One task and everything needed to check it afterwards.
struct Setup {
    queue: Arc<Queue>,
    gate: Arc<Gate>,
    future_drops: Arc<AtomicUsize>,
    output_drops: Arc<AtomicUsize>,
}

impl Setup {
    fn spawn(gate: Arc<Gate>) -> (Setup, Runnable, JoinHandle<Tracked>) {
        let queue = Arc::new(Queue::default());
        let future_drops = Arc::new(AtomicUsize::new(0));
        let output_drops = Arc::new(AtomicUsize::new(0));
        let future = WaitGate {
            gate: gate.clone(),
            output_drops: output_drops.clone(),
            _future_drop: Tracked(future_drops.clone()),
        };
        let (runnable, handle) = crate::spawn(future, Sched(queue.clone()));
        let setup = Setup {
            queue,
            gate,
            future_drops,
            output_drops,
        };
        (setup, runnable, handle)
    }

    /// After the threads joined: drain the queue, then check the task finished cleanly.
    fn finish(&self) {
        self.queue.drain();
        assert!(self.queue.is_empty());
        assert_eq!(self.future_drops.load(Ordering::Acquire), 1, "future drops");
        assert_eq!(
            self.queue.released.load(Ordering::Acquire),
            1,
            "completions reported"
        );
        // Break the cycle task -> waker -> task held by the gate.
        self.gate.waker.lock().unwrap().take();
    }
}

/// Polls a handle once with a no-op waker.
fn try_now(handle: JoinHandle<Tracked>) -> Poll<Result<Tracked, JoinError>> {
    let mut join = handle.try_join();
    let mut cx = Context::from_waker(futures_task::noop_waker_ref());
    Pin::new(&mut join).poll(&mut cx)
}

/// Loom reports a violation (a data race on an `UnsafeCell`, a causality error) by
/// panicking where it finds it, and that may be inside the cell's own `catch_unwind` (around
/// a poll, a waker, a destructor), which would swallow it. So any panic raised from loom's
/// code stops the process at once.
fn abort_on_loom_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.location().is_some_and(|l| l.file().contains("/loom-")) {
                // Straight to stderr: the test harness's output capture dies with the process.
                let _ = writeln!(
                    std::io::stderr(),
                    "loom found a violation: {info}; aborting"
                );
                std::process::abort();
            }
            default(info);
        }));
    });
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    abort_on_loom_panics();
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(f);
}

/// The gate opens (and wakes the task) while the runner polls it: the wake is kept, the task
/// is re-queued after the poll, and it completes.
#[test]
fn loom_wake_during_poll() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Arc::new(Gate::default()));
        let queue = setup.queue.clone();
        let runner = thread::spawn(move || {
            runnable.run();
            queue.drain();
        });
        let gate = setup.gate.clone();
        let opener = thread::spawn(move || gate.open());
        runner.join().unwrap();
        opener.join().unwrap();
        setup.finish();
        let Poll::Ready(Ok(output)) = try_now(handle) else {
            panic!("the task did not complete with its output");
        };
        drop(output);
        assert_eq!(setup.output_drops.load(Ordering::Acquire), 1);
    });
}

/// Two threads wake the task while a runner runs it: it is queued at most once at a time and
/// never polled twice at once, and neither wake is lost.
#[test]
fn loom_two_wakes() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Arc::new(Gate::default()));
        let queue = setup.queue.clone();
        let runner = thread::spawn(move || {
            runnable.run();
            queue.drain();
        });
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let gate = setup.gate.clone();
                thread::spawn(move || gate.open())
            })
            .collect();
        runner.join().unwrap();
        for opener in openers {
            opener.join().unwrap();
        }
        setup.finish();
        assert!(matches!(try_now(handle), Poll::Ready(Ok(_))));
        assert_eq!(setup.output_drops.load(Ordering::Acquire), 1);
    });
}

/// A stale waker fires while, or after, the task completes: the finished task is never queued
/// or polled again.
#[test]
fn loom_wake_after_completion() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Arc::new(Gate::default()));
        runnable.run(); // Pending: the gate's waker is now the task's.
        let stale = setup.gate.waker.lock().unwrap().clone().unwrap();
        let (gate, queue) = (setup.gate.clone(), setup.queue.clone());
        let runner = thread::spawn(move || {
            gate.open();
            queue.drain();
        });
        let waker = thread::spawn(move || stale.wake());
        runner.join().unwrap();
        waker.join().unwrap();
        setup.finish();
        assert!(matches!(try_now(handle), Poll::Ready(Ok(_))));
    });
}

/// `abort` races the poll that completes the task: the handle gets either the output or a
/// cancellation, and the future, the output and the completion report each happen exactly once.
#[test]
fn loom_abort_races_completion() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Gate::opened());
        let runner = thread::spawn(move || runnable.run());
        let aborter = thread::spawn(move || {
            handle.abort();
            handle
        });
        runner.join().unwrap();
        let handle = aborter.join().unwrap();
        setup.finish();
        match try_now(handle) {
            Poll::Ready(Ok(output)) => {
                drop(output);
                assert_eq!(setup.output_drops.load(Ordering::Acquire), 1);
            }
            Poll::Ready(Err(err)) => {
                assert!(err.is_cancelled());
                assert_eq!(setup.output_drops.load(Ordering::Acquire), 0);
            }
            Poll::Pending => panic!("an aborted or finished task left its handle pending"),
        }
    });
}

/// `abort` races a wake of an idle task: the future is dropped once, and a wake after the
/// abort never polls it.
#[test]
fn loom_abort_races_wake() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Arc::new(Gate::default()));
        runnable.run(); // Pending, idle.
        let (gate, queue) = (setup.gate.clone(), setup.queue.clone());
        let waker = thread::spawn(move || {
            gate.open();
            queue.drain();
        });
        handle.abort();
        waker.join().unwrap();
        setup.finish();
        // Either the abort came first (cancelled), or the gate opened and a drain completed
        // the task first (its output).
        match try_now(handle) {
            Poll::Ready(Ok(_)) => {}
            Poll::Ready(Err(err)) => assert!(err.is_cancelled()),
            Poll::Pending => panic!("an aborted task left its handle pending"),
        }
    });
}

/// The handle is dropped while the task completes: the output is dropped exactly once, by
/// whichever side comes second.
#[test]
fn loom_handle_dropped_racing_completion() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Gate::opened());
        let runner = thread::spawn(move || runnable.run());
        let dropper = thread::spawn(move || drop(handle));
        runner.join().unwrap();
        dropper.join().unwrap();
        setup.finish();
        assert_eq!(
            setup.output_drops.load(Ordering::Acquire),
            1,
            "output drops"
        );
    });
}

/// Whoever awaits the handle registers its waker while the task completes: it either sees
/// the result at once or is woken.
#[test]
fn loom_join_waker_racing_completion() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Gate::opened());
        let runner = thread::spawn(move || runnable.run());
        let counter = CountingWaker::new();
        let mut join = handle.try_join();
        let waker = counter.waker();
        let first = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
        runner.join().unwrap();
        setup.finish();
        if first.is_pending() {
            assert_eq!(counter.wakes(), 1, "lost join wake-up");
            let again = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
            assert!(matches!(again, Poll::Ready(Ok(_))));
        }
    });
}

/// A waker that counts its wakes; `Arc::strong_count` tells whether a clone leaked.
#[derive(Default)]
struct Flag(AtomicUsize);

impl futures_task::ArcWake for Flag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.fetch_add(1, Ordering::AcqRel);
    }
}

impl Flag {
    fn wakes(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

/// The awaiter replaces its waker (a second poll with another waker) while the task
/// completes: the new waker is woken unless that poll already saw the result, and no waker
/// clone outlives the task.
#[test]
fn loom_join_waker_replaced_racing_completion() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Gate::opened());
        let (first, second) = (Arc::new(Flag::default()), Arc::new(Flag::default()));
        let mut join = handle.try_join();
        let waker = futures_task::waker(first.clone());
        assert!(
            Pin::new(&mut join)
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        drop(waker);
        let runner = thread::spawn(move || runnable.run());
        let waker = futures_task::waker(second.clone());
        let polled = Pin::new(&mut join).poll(&mut Context::from_waker(&waker));
        drop(waker);
        runner.join().unwrap();
        setup.finish();
        if polled.is_pending() {
            assert_eq!(
                second.wakes(),
                1,
                "lost join wake-up after replacing the waker"
            );
            let again = Pin::new(&mut join).poll(&mut Context::from_waker(&Waker::noop()));
            assert!(matches!(again, Poll::Ready(Ok(_))));
        }
        drop(join);
        assert_eq!(Arc::strong_count(&first), 1, "the replaced waker leaked");
        assert_eq!(Arc::strong_count(&second), 1, "the join waker leaked");
    });
}

/// The handle is dropped with its waker registered while the task completes: the output and
/// the waker are each dropped exactly once.
#[test]
fn loom_handle_with_waker_dropped_racing_completion() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Gate::opened());
        let flag = Arc::new(Flag::default());
        let mut join = handle.try_join();
        let waker = futures_task::waker(flag.clone());
        assert!(
            Pin::new(&mut join)
                .poll(&mut Context::from_waker(&waker))
                .is_pending()
        );
        drop(waker);
        let runner = thread::spawn(move || runnable.run());
        drop(join);
        runner.join().unwrap();
        setup.finish();
        assert_eq!(
            setup.output_drops.load(Ordering::Acquire),
            1,
            "output drops"
        );
        assert!(flag.wakes() <= 1);
        assert_eq!(Arc::strong_count(&flag), 1, "the join waker leaked");
    });
}

/// The last three references (the runner's, the handle's and a waker's) go on three threads
/// at once, the waker's after a wake: every interleaving frees the cell once (the scheduler
/// inside it is dropped), with the future and the output dropped once each.
#[test]
fn loom_last_reference_from_any_thread() {
    model(|| {
        let (setup, runnable, handle) = Setup::spawn(Arc::new(Gate::default()));
        // The first poll registers a waker in the gate and the task goes idle.
        runnable.run();
        assert!(setup.queue.is_empty());
        let gate = setup.gate.clone();
        let waker_side = thread::spawn(move || {
            gate.open();
            drop(gate.waker.lock().unwrap().take());
        });
        let queue = setup.queue.clone();
        let runner = thread::spawn(move || queue.drain());
        drop(handle);
        waker_side.join().unwrap();
        runner.join().unwrap();
        setup.finish();
        assert_eq!(
            setup.output_drops.load(Ordering::Acquire),
            1,
            "output drops"
        );
        assert_eq!(
            Arc::strong_count(&setup.queue),
            1,
            "the cell (holding the scheduler) was not freed"
        );
    });
}
