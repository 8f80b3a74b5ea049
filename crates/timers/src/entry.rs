//! [`Entry`]: the one allocation of a timer, shared by its future and the driver.
//!
//! # States
//!
//! `state` moves only along these edges:
//!
//! ```text
//! IDLE ──poll──► QUEUED ──driver inserts──► REGISTERED ──driver fires──► FIRED
//!                  │                            │
//!                  └──────── drop/reset ────────┴──► CANCELLED
//! ```
//!
//! * `IDLE`: only the future holds the entry (new, or recycled by a reset); the driver has never
//!   seen it, so the future may change `deadline` through `Arc::get_mut`.
//! * `QUEUED`: an insert op holding a clone is in the driver's queue. A cancel here needs no op:
//!   the driver sees `CANCELLED` when it pops the insert and just drops its clone.
//! * `REGISTERED`: the driver holds a clone in its wheel under `key`. A cancel here sends a
//!   cancel op, so the wheel entry is removed (and its memory freed) before the deadline.
//! * `FIRED`: the driver has taken the waker and woken it. Terminal until a reset.
//!
//! The driver never drops a waker, which is user code that may panic: it wakes the one it
//! takes on firing under `catch_unwind`, and the slot is empty whenever it lets go of an
//! entry (a cancelling future takes the waker out before it marks the entry `CANCELLED`; a
//! future that registers as the entry fires takes its waker back).
//!
//! The driver makes its moves with compare-and-swap, the future with a swap, so exactly one
//! side wins each race. No lost wake-up: the driver stores `FIRED` before it takes the waker out
//! of the slot, and the future checks `state` again after registering its waker; the slot's
//! lock orders the two (the same protocol as [`wakers::WakerSlot`], whose lock this is; it is
//! a plain `Mutex` here so that a future holding the only clone of an `IDLE` entry can set its
//! waker through `Arc::get_mut`, without taking the lock).

use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};
use std::task::Waker;

use parking_lot::Mutex;

pub(crate) const IDLE: u8 = 0;
pub(crate) const QUEUED: u8 = 1;
pub(crate) const REGISTERED: u8 = 2;
pub(crate) const FIRED: u8 = 3;
pub(crate) const CANCELLED: u8 = 4;

/// The shared part of a timer.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) state: AtomicU8,
    /// The wheel key while `REGISTERED`. Written and read by the driver thread only.
    pub(crate) key: AtomicU32,
    /// The deadline in ns since the driver's epoch. Changed only while `IDLE`.
    pub(crate) deadline: u64,
    /// The waker to wake on firing; taken out by whoever ends the timer (see the module docs).
    pub(crate) waker: Mutex<Option<Waker>>,
}

impl Entry {
    /// A new, `IDLE` entry for `deadline`, holding `waker` (if any).
    pub(crate) fn new(deadline: u64, waker: Option<Waker>) -> Entry {
        Entry {
            state: AtomicU8::new(IDLE),
            key: AtomicU32::new(u32::MAX),
            deadline,
            waker: Mutex::new(waker),
        }
    }

    pub(crate) fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    /// For the future: is the timer done? If not, make sure `waker` is the one woken.
    ///
    /// A waker registered just as the driver fired is taken back out here, on the future's
    /// thread: the slot of a `FIRED` entry ends up empty, so wherever its last clone is
    /// dropped (perhaps on the driver thread) no waker, no user code, is dropped with it.
    pub(crate) fn poll_fired(&self, waker: &Waker) -> bool {
        if self.state() == FIRED {
            return true;
        }
        self.register_waker(waker);
        if self.state() == FIRED {
            drop(self.take_waker());
            return true;
        }
        false
    }

    /// Stores a clone of `waker` unless the slot holds one that wakes the same task. The old
    /// one is dropped after the lock is released.
    fn register_waker(&self, waker: &Waker) {
        let mut slot = self.waker.lock();
        if !slot.as_ref().is_some_and(|held| held.will_wake(waker)) {
            let old = slot.replace(waker.clone());
            drop(slot);
            drop(old);
        }
    }

    /// Takes the waker out, leaving the slot empty.
    pub(crate) fn take_waker(&self) -> Option<Waker> {
        self.waker.lock().take()
    }

    /// For the driver: moves a popped insert op's entry into the wheel's care.
    /// `false` means it was cancelled while queued and must just be dropped.
    pub(crate) fn try_register(&self) -> bool {
        self.state
            .compare_exchange(QUEUED, REGISTERED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// For the driver: the deadline has come. Returns the waker to wake, if the timer was still
    /// wanted and someone waits on it.
    pub(crate) fn fire(&self) -> Option<Waker> {
        self.state
            .compare_exchange(REGISTERED, FIRED, Ordering::AcqRel, Ordering::Acquire)
            .ok()?;
        self.take_waker()
    }

    /// For the future, on drop or reset: withdraws the timer. Returns whether the driver holds
    /// it in its wheel, in which case the caller must send a cancel op.
    pub(crate) fn cancel(&self) -> bool {
        self.state.swap(CANCELLED, Ordering::AcqRel) == REGISTERED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_while_queued_wins_over_register() {
        let e = Entry::new(0, None);
        e.state.store(QUEUED, Ordering::Relaxed);
        assert!(!e.cancel());
        assert!(!e.try_register());
        assert!(e.fire().is_none());
    }

    #[test]
    fn fire_wakes_once_and_only_when_registered() {
        let counter = wakers::CountingWaker::new();
        let e = Entry::new(0, None);
        e.state.store(QUEUED, Ordering::Relaxed);
        assert!(!e.poll_fired(&counter.waker()));
        assert!(e.try_register());
        e.fire().expect("a waker was registered").wake();
        assert!(e.fire().is_none());
        assert_eq!(counter.wakes(), 1);
        assert!(e.poll_fired(&counter.waker()));
        // Too late to cancel: nothing for the driver to remove.
        assert!(!e.cancel());
    }

    #[test]
    fn cancel_after_register_asks_for_removal() {
        let e = Entry::new(0, None);
        e.state.store(QUEUED, Ordering::Relaxed);
        assert!(e.try_register());
        assert!(e.cancel());
        assert!(e.fire().is_none());
    }
}
