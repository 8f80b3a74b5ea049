//! [`WakerSlot`]: one side registers a waker, the other side wakes it.
//!
//! # Invariants
//!
//! * The slot holds at most one waker: the one registered last.
//! * `wake` takes the waker out before waking it, and wakes it with the lock released, so a
//!   waker that re-enters the slot (registers again from inside `wake`) cannot deadlock.
//! * No lost wake-up: `register` and `wake` are ordered by the slot's lock. If `wake` runs
//!   after `register`, it wakes the new waker; if it runs before, the registering side must
//!   re-check its condition after `register` (the usual "register, then check" rule), and will
//!   see whatever the waking side published before calling `wake`.
//!
//! The lock is held for a pointer move or a waker clone, never while a waker runs. Uncontended,
//! a lock and unlock cost two atomic operations, the same as the lock-free `AtomicWaker`
//! protocol, so the slot stays in safe code.

use std::fmt;
use std::task::Waker;

use crate::sync::Mutex;

/// Holds the waker of whoever waits for an event, so that whoever causes the event can wake it.
///
/// Register from one thread, wake from another; when both race, the waiter is not forgotten
/// as long as it checks its condition after registering.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use wakers::{Parker, WakerSlot};
///
/// let slot = Arc::new(WakerSlot::new());
/// let done = Arc::new(AtomicBool::new(false));
/// let (slot2, done2) = (slot.clone(), done.clone());
/// std::thread::spawn(move || {
///     done2.store(true, Ordering::SeqCst); // publish the event...
///     slot2.wake();                        // ...then wake whoever waits for it
/// });
/// let parker = Parker::new();
/// loop {
///     slot.register(&parker.waker());      // register first,
///     if done.load(Ordering::SeqCst) {     // then check: no lost wake-up
///         break;
///     }
///     parker.park();
/// }
/// ```
#[derive(Default)]
pub struct WakerSlot {
    waker: Mutex<Option<Waker>>,
}

impl WakerSlot {
    /// Creates an empty slot.
    ///
    /// ```
    /// let slot = wakers::WakerSlot::new();
    /// slot.wake(); // empty: nothing happens
    /// ```
    pub fn new() -> WakerSlot {
        WakerSlot {
            waker: Mutex::new(None),
        }
    }

    /// Stores a clone of `waker`, replacing (and dropping) the one held before.
    ///
    /// If the slot already holds a waker that [`will_wake`](Waker::will_wake) the same task, it
    /// is kept and nothing is cloned.
    ///
    /// ```
    /// let counter = wakers::CountingWaker::new();
    /// let slot = wakers::WakerSlot::new();
    /// slot.register(&counter.waker());
    /// slot.wake();
    /// assert_eq!(counter.wakes(), 1);
    /// ```
    pub fn register(&self, waker: &Waker) {
        let mut slot = self.waker.lock();
        match &mut *slot {
            Some(held) if held.will_wake(waker) => {}
            held => {
                let old = held.replace(waker.clone());
                drop(slot);
                drop(old);
            }
        }
    }

    /// Takes the waker out of the slot and wakes it. An empty slot makes this a no-op.
    ///
    /// ```
    /// let counter = wakers::CountingWaker::new();
    /// let slot = wakers::WakerSlot::new();
    /// slot.register(&counter.waker());
    /// slot.wake();
    /// slot.wake(); // the slot is empty now
    /// assert_eq!(counter.wakes(), 1);
    /// ```
    pub fn wake(&self) {
        if let Some(waker) = self.take() {
            waker.wake();
        }
    }

    /// Takes the waker out of the slot without waking it.
    ///
    /// ```
    /// let slot = wakers::WakerSlot::new();
    /// slot.register(&wakers::noop_waker());
    /// assert!(slot.take().is_some());
    /// assert!(slot.take().is_none());
    /// ```
    pub fn take(&self) -> Option<Waker> {
        self.waker.lock().take()
    }
}

impl fmt::Debug for WakerSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WakerSlot").finish_non_exhaustive()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// The waiter registers and then checks a flag; the waker sets the flag and then wakes.
    /// In every interleaving the waiter either sees the flag or is woken.
    #[test]
    fn register_races_wake() {
        loom::model(|| {
            let slot = Arc::new(WakerSlot::new());
            let flag = Arc::new(AtomicUsize::new(0));
            let counter = crate::CountingWaker::new();
            let (slot2, flag2) = (slot.clone(), flag.clone());
            let t = loom::thread::spawn(move || {
                flag2.store(1, Ordering::SeqCst);
                slot2.wake();
            });
            slot.register(&counter.waker());
            let saw_flag = flag.load(Ordering::SeqCst) == 1;
            t.join().unwrap();
            assert!(saw_flag || counter.wakes() == 1, "lost wake-up");
        });
    }
}
