//! The synchronisation primitives the sleeper list is written against.
//!
//! Under `--cfg loom` they come from `loom`, which explores every interleaving of the
//! threads in a model; otherwise from `std` and `parking_lot`. `sleepers` imports its atomics,
//! fence and mutex only from here, so the code loom checks is the code that ships.
//!
//! Invariant: this module only re-exports; it adds no behaviour of its own.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};

/// A mutex whose `lock` returns the guard directly (no poisoning) on both back ends: the
/// workspace's one copy, in `wakers`.
pub(crate) use wakers::__loom::Mutex;
