//! The synchronisation primitives the task cell is written against.
//!
//! Under `--cfg loom` they come from [`loom`], which explores every interleaving of the
//! threads in a model; otherwise from `std`. The cell imports its atomics and its
//! `UnsafeCell` only from here, so the code loom checks is the code that ships.
//!
//! Invariant: this module only re-exports or thinly wraps; it adds no behaviour of its own.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};

/// An `UnsafeCell` with loom's closure API on both back ends, so that loom can check that no
/// two threads ever reach the cell's contents at once.
#[derive(Debug)]
pub(crate) struct UnsafeCell<T> {
    #[cfg(not(loom))]
    inner: std::cell::UnsafeCell<T>,
    #[cfg(loom)]
    inner: loom::cell::UnsafeCell<T>,
}

impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        UnsafeCell {
            #[cfg(not(loom))]
            inner: std::cell::UnsafeCell::new(value),
            #[cfg(loom)]
            inner: loom::cell::UnsafeCell::new(value),
        }
    }

    /// Calls `f` with a shared pointer to the contents. The caller's protocol must rule out a
    /// concurrent `with_mut`; loom checks it in its models.
    #[cfg(not(loom))]
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.inner.get())
    }

    #[cfg(loom)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.inner.with(f)
    }

    /// Calls `f` with a pointer to the contents. The caller's protocol must make that access
    /// exclusive; loom checks it in its models.
    #[cfg(not(loom))]
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.inner.get())
    }

    #[cfg(loom)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.inner.with_mut(f)
    }
}
