//! The reference count in the state word: whichever holder lets go last (the runner, a waker,
//! the handle) frees the task and drops what it still holds, exactly once; a count at its
//! limit refuses another reference with a panic instead of wrapping.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use testkit::ToyQueue as Queue;

/// Pending forever; keeps a clone of its waker in `slot` if given one; counts its drops.
struct Parked {
    slot: Option<Arc<Mutex<Option<Waker>>>>,
    drops: Arc<AtomicUsize>,
}

impl Future for Parked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(slot) = &self.slot {
            *slot.lock().unwrap() = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_runner_frees_a_task_nobody_else_refers_to() {
    let drops = Arc::new(AtomicUsize::new(0));
    let queue = Queue::default();
    let future = Parked {
        slot: None,
        drops: drops.clone(),
    };
    let (runnable, handle) = join_handle::spawn(future, queue.clone());
    drop(handle);
    runnable.run();
    assert_eq!(drops.load(Ordering::SeqCst), 1, "freed when the poll ended");
    assert_eq!(queue.run_all(), 0);
}

#[test]
fn the_last_waker_frees_the_task_and_a_wake_keeps_it_alive_until_it_ran() {
    let drops = Arc::new(AtomicUsize::new(0));
    let slot = Arc::new(Mutex::new(None));
    let queue = Queue::default();
    let future = Parked {
        slot: Some(slot.clone()),
        drops: drops.clone(),
    };
    let (runnable, handle) = join_handle::spawn(future, queue.clone());
    runnable.run();
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "the waker keeps it alive");
    // Wake by value: the queue now holds the task, the waker's reference is gone.
    let waker = slot.lock().unwrap().take().unwrap();
    waker.wake();
    assert_eq!(drops.load(Ordering::SeqCst), 0, "queued: still alive");
    assert_eq!(queue.run_all(), 1);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "the poll stored a new waker"
    );
    let waker = slot.lock().unwrap().take().unwrap();
    let clone = waker.clone();
    drop(waker);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(clone);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the last waker freed it");
}

#[test]
fn a_waker_clone_past_the_limit_panics_and_the_task_still_frees() {
    let drops = Arc::new(AtomicUsize::new(0));
    let slot = Arc::new(Mutex::new(None));
    let queue = Queue::default();
    let future = Parked {
        slot: Some(slot.clone()),
        drops: drops.clone(),
    };
    let (runnable, handle) = join_handle::spawn(future, queue.clone());
    runnable.run();
    let waker = slot.lock().unwrap().take().unwrap();
    let mut clones = Vec::new();
    let panic = loop {
        match catch_unwind(AssertUnwindSafe(|| waker.clone())) {
            Ok(clone) => clones.push(clone),
            Err(panic) => break panic,
        }
        assert!(clones.len() < 1 << 21, "no limit reached");
    };
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("references"), "{message}");
    // The handle and the waker hold the other two references.
    assert_eq!(clones.len() + 2, 1 << 20);
    clones.clear();
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(waker);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}
