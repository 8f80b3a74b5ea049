//! The synchronisation primitives the task cell is written against.
//!
//! Under `--cfg loom` they come from [`loom`], which explores every interleaving of the
//! threads in a model; otherwise from `std` and `parking_lot`. The cell imports its atomics
//! and its mutex only from here, so the code loom checks is the code that ships.
//!
//! Invariant: this module only re-exports or thinly wraps; it adds no behaviour of its own.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};

/// A mutex whose `lock` returns the guard directly (no poisoning) on both back ends.
#[derive(Debug, Default)]
pub(crate) struct Mutex<T> {
    #[cfg(not(loom))]
    inner: parking_lot::Mutex<T>,
    #[cfg(loom)]
    inner: loom::sync::Mutex<T>,
}

impl<T> Mutex<T> {
    pub(crate) fn new(value: T) -> Self {
        Mutex {
            #[cfg(not(loom))]
            inner: parking_lot::Mutex::new(value),
            #[cfg(loom)]
            inner: loom::sync::Mutex::new(value),
        }
    }

    #[cfg(not(loom))]
    #[inline]
    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.inner.lock()
    }

    #[cfg(loom)]
    pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.inner.lock().unwrap()
    }

    #[cfg(not(loom))]
    #[inline]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    #[cfg(loom)]
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut().unwrap()
    }
}
