//! The synchronisation primitives this crate is written against.
//!
//! Under `--cfg loom` they come from `loom`, which explores every interleaving of the
//! threads in a model; otherwise from `std` and `parking_lot`. Code in this crate imports
//! atomics, threads and mutexes only from here, so the same source is what loom checks.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU32, Ordering};
#[cfg(not(loom))]
pub(crate) use std::thread::{Thread, current as current_thread, park as park_thread};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, Ordering};
#[cfg(loom)]
pub(crate) use loom::thread::{Thread, current as current_thread, park as park_thread};

/// A mutex whose `lock` returns the guard directly (no poisoning) on both back ends.
///
/// The one copy in the workspace: the executor's sleeper list uses it too, through
/// [`__loom::Mutex`](crate::__loom::Mutex).
#[derive(Debug, Default)]
pub struct Mutex<T> {
    #[cfg(not(loom))]
    inner: parking_lot::Mutex<T>,
    #[cfg(loom)]
    inner: loom::sync::Mutex<T>,
}

impl<T> Mutex<T> {
    /// A mutex holding `value`.
    pub fn new(value: T) -> Self {
        Mutex {
            #[cfg(not(loom))]
            inner: parking_lot::Mutex::new(value),
            #[cfg(loom)]
            inner: loom::sync::Mutex::new(value),
        }
    }

    /// Locks it, blocking until it is free.
    #[cfg(not(loom))]
    #[inline]
    pub fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
        self.inner.lock()
    }

    /// Locks it, blocking until it is free.
    #[cfg(loom)]
    pub fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
        self.inner.lock().unwrap()
    }
}

/// An `UnsafeCell` with loom's closure API on both back ends, so that loom can check that no
/// two threads ever reach the cell's contents at once.
///
/// The one copy in the workspace: the task cell (`join-handle`) and the executor's next slot
/// use it through [`__loom::UnsafeCell`](crate::__loom::UnsafeCell).
#[derive(Debug)]
pub struct UnsafeCell<T> {
    #[cfg(not(loom))]
    inner: std::cell::UnsafeCell<T>,
    #[cfg(loom)]
    inner: loom::cell::UnsafeCell<T>,
}

impl<T> UnsafeCell<T> {
    /// A cell holding `value`.
    pub fn new(value: T) -> Self {
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
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.inner.get())
    }

    #[cfg(loom)]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        self.inner.with(f)
    }

    /// Calls `f` with a pointer to the contents. The caller's protocol must make that access
    /// exclusive; loom checks it in its models.
    #[cfg(not(loom))]
    #[inline]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.inner.get())
    }

    #[cfg(loom)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        self.inner.with_mut(f)
    }
}
