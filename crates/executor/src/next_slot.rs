//! [`NextSlot`]: room for one task next to a runner's ring ([`LocalQueue`]'s "The next
//! slot"), which only the owner fills and anyone empties.
//!
//! The task is stored inline, next to one state word, so a push or a take touches one cache
//! line: a push is a load, a write and one read-modify-write; a take is a load, a
//! compare-exchange, a read and a store.
//!
//! # States
//!
//! ```text
//!          push (owner)                 take: CAS (anyone)         take: store (same thread)
//!  EMPTY ───────────────▶ FULL ─────────────────────────▶ TAKING ─────────────────────▶ EMPTY
//! ```
//!
//! Invariants, cited in the code as (1)–(3):
//!
//! 1. The contents hold a value exactly while the state is `FULL` or `TAKING`.
//! 2. Only the owner writes the contents, and only after an `Acquire` load saw `EMPTY`: so
//!    after the last taker's read, which its `Release` store of `EMPTY` publishes. Nobody else
//!    writes `EMPTY`, and nobody else leaves `EMPTY`, so the owner's write races with nothing.
//! 3. Only the thread whose compare-exchange moved `FULL` to `TAKING` reads the contents, and
//!    the `Acquire` of that exchange makes the owner's write (published by its `SeqCst` swap
//!    to `FULL`) visible to it. One exchange succeeds per push, so each value is taken once.
//!
//! The push's swap to `FULL` is a `SeqCst` read-modify-write, and looks at the state are
//! `SeqCst` loads: that is what the no-lost-wake-up argument in
//! [`sleepers`](crate::sleepers) asks of a push and of a look at a queue.
//!
//! [`LocalQueue`]: crate::injector::LocalQueue

use std::mem::MaybeUninit;

use wakers::__loom::UnsafeCell;

use crate::sync::{AtomicUsize, Ordering};

/// No value; only the owner leaves this state.
const EMPTY: usize = 0;
/// A value, free for the first taker.
const FULL: usize = 1;
/// A taker is reading the value; it stores `EMPTY` next.
const TAKING: usize = 2;

/// One value's room, filled by one thread (the owner) and emptied by any (see the module's
/// invariants).
pub(crate) struct NextSlot<T> {
    state: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: a value crosses threads only by moving (pushed on the owner's thread, taken on
// any), so `T: Send` suffices; the state word gives each access to the contents to one
// thread at a time (invariants 2 and 3).
unsafe impl<T: Send> Sync for NextSlot<T> {}
// SAFETY: as above: owning the slot owns at most one `T`.
unsafe impl<T: Send> Send for NextSlot<T> {}

impl<T> NextSlot<T> {
    pub(crate) fn new() -> NextSlot<T> {
        NextSlot {
            state: AtomicUsize::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    /// Puts `value` in the slot if it is empty, else gives it back. A push that fills the slot
    /// is a `SeqCst` read-modify-write of its state.
    ///
    /// # Safety
    ///
    /// Only one thread, the slot's owner, ever calls `push` on this slot (invariant 2).
    #[inline]
    pub(crate) unsafe fn push(&self, value: T) -> Result<(), T> {
        if self.state.load(Ordering::Acquire) != EMPTY {
            return Err(value);
        }
        // SAFETY: the state is `EMPTY`, which only we (the one pusher, by the caller's
        // contract) leave, so nobody reads or writes the contents until our swap below, and
        // the `Acquire` load ordered the last taker's read before this write (invariant 2).
        self.value
            .with_mut(|contents| unsafe { (*contents).write(value) });
        let was = self.state.swap(FULL, Ordering::SeqCst);
        debug_assert_eq!(was, EMPTY, "only the owner fills the slot");
        Ok(())
    }

    /// Takes the slot's value, if it holds one that no one else is taking.
    #[inline]
    pub(crate) fn take(&self) -> Option<T> {
        if self.state.load(Ordering::Relaxed) != FULL
            || self
                .state
                .compare_exchange(FULL, TAKING, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            return None;
        }
        // SAFETY: our exchange moved `FULL` to `TAKING`, so the contents hold a value
        // (invariant 1), the owner's write of it is visible (its swap released it, our
        // exchange acquired it), and no one else reads it (invariant 3); the owner does not
        // write until our store of `EMPTY` below (invariant 2).
        let value = self
            .value
            .with(|contents| unsafe { (*contents).assume_init_read() });
        self.state.store(EMPTY, Ordering::Release);
        Some(value)
    }

    /// Whether the slot holds a value, counting one being taken (a `SeqCst` load).
    #[inline]
    pub(crate) fn is_full(&self) -> bool {
        self.state.load(Ordering::SeqCst) != EMPTY
    }
}

impl<T> Drop for NextSlot<T> {
    fn drop(&mut self) {
        // `&mut self`: no take is under way, so the state is `EMPTY` or `FULL`.
        if self.state.load(Ordering::Relaxed) == FULL {
            // SAFETY: `FULL` means the contents hold a value (invariant 1), and no one else
            // can reach it any more; it is dropped once, here.
            self.value
                .with_mut(|contents| unsafe { (*contents).assume_init_drop() });
        }
    }
}

impl<T> std::fmt::Debug for NextSlot<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NextSlot")
            .field("full", &self.is_full())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread;

    use super::NextSlot;

    /// Counts drops, to show each value is dropped exactly once.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn one_value_at_most_and_taken_once() {
        let slot = NextSlot::new();
        // SAFETY: this thread is the only pusher.
        unsafe {
            assert_eq!(slot.push(1), Ok(()));
            assert_eq!(slot.push(2), Err(2), "a full slot gives the value back");
        }
        assert!(slot.is_full());
        assert_eq!(slot.take(), Some(1));
        assert_eq!(slot.take(), None);
        assert!(!slot.is_full());
        // SAFETY: as above.
        unsafe { assert_eq!(slot.push(3), Ok(())) };
        assert_eq!(slot.take(), Some(3));
    }

    #[test]
    fn a_value_left_in_the_slot_is_dropped_with_it() {
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = NextSlot::new();
        // SAFETY: this thread is the only pusher.
        unsafe { slot.push(Counted(drops.clone())).ok().unwrap() };
        drop(slot);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        let empty = NextSlot::<Counted>::new();
        drop(empty); // drops nothing: an uninitialised value dropped would be UB (ASan, Miri)
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    }

    /// The owner pushes numbers and takes some back while two thieves take too: every number
    /// comes out exactly once.
    #[test]
    fn owner_and_thieves_take_each_value_once() {
        const VALUES: usize = 200_000;
        let slot = Arc::new(NextSlot::<Box<usize>>::new());
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let (slot, done) = (slot.clone(), done.clone());
                thread::spawn(move || {
                    let mut got = Vec::new();
                    while !done.load(Ordering::Acquire) {
                        got.extend(slot.take().map(|b| *b));
                    }
                    got.extend(slot.take().map(|b| *b));
                    got
                })
            })
            .collect();
        let mut got = Vec::new();
        let mut next = 0;
        while next < VALUES {
            // SAFETY: this thread is the only pusher.
            if unsafe { slot.push(Box::new(next)) }.is_ok() {
                next += 1;
            }
            if next % 3 == 0 {
                got.extend(slot.take().map(|b| *b));
            }
        }
        done.store(true, Ordering::Release);
        for thief in thieves {
            got.extend(thief.join().unwrap());
        }
        got.extend(slot.take().map(|b| *b));
        got.sort_unstable();
        assert_eq!(got, (0..VALUES).collect::<Vec<_>>());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use loom::sync::Arc;
    use loom::thread;

    use super::NextSlot;

    /// The owner pushes two values (the second lands only if the first was taken) while a
    /// thief takes: each value is taken once, and loom checks that no read of the contents
    /// races with the owner's write. (Fails if a take stores `EMPTY` before it reads.)
    #[test]
    fn loom_push_and_take_race() {
        loom::model(|| {
            let slot = Arc::new(NextSlot::<Box<u32>>::new());
            let thief = {
                let slot = slot.clone();
                thread::spawn(move || slot.take().map(|b| *b))
            };
            let mut got = Vec::new();
            // SAFETY: this thread is the only pusher.
            assert!(unsafe { slot.push(Box::new(1)) }.is_ok());
            // Lets loom run the thief between the two pushes (without a yield here it did not:
            // a take moved before the second push's load went unexplored).
            thread::yield_now();
            // SAFETY: as above.
            let second = unsafe { slot.push(Box::new(2)) };
            got.extend(slot.take().map(|b| *b));
            let stolen = thief.join().unwrap();
            got.extend(stolen);
            got.extend(slot.take().map(|b| *b));
            if second.is_err() {
                got.push(2); // refused: still ours
            }
            got.sort_unstable();
            assert_eq!(got, vec![1, 2]);
        });
    }
}
