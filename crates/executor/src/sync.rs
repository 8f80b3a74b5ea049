//! The synchronisation primitives the sleeper list is written against.
//!
//! Under `--cfg loom` they come from [`loom`], which explores every interleaving of the
//! threads in a model; otherwise from `std` and `parking_lot`. `sleepers` imports its atomics,
//! fence and mutex only from here, so the code loom checks is the code that ships.
//!
//! Invariant: this module only re-exports or thinly wraps; it adds no behaviour of its own.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

/// A mutex whose `lock` returns the guard directly (no poisoning) on both back ends.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T> {
    #[cfg(not(loom))]
    inner: parking_lot::Mutex<T>,
    #[cfg(loom)]
    inner: loom::sync::Mutex<T>,
}

impl<T> Mutex<T> {
    #[cfg(not(loom))]
    #[inline]
    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.inner.lock()
    }

    #[cfg(loom)]
    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.inner.lock().unwrap()
    }
}
