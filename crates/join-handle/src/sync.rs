//! The synchronisation primitives the task cell is written against.
//!
//! Under `--cfg loom` they come from `loom`, which explores every interleaving of the
//! threads in a model; otherwise from `std`. The cell imports its atomics and its
//! `UnsafeCell` only from here, so the code loom checks is the code that ships.
//!
//! Invariant: this module only re-exports or thinly wraps; it adds no behaviour of its own.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};

/// An `UnsafeCell` with loom's closure API on both back ends (the workspace's one copy, in
/// `wakers`).
pub(crate) use wakers::__loom::UnsafeCell;
