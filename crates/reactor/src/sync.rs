//! The atomics the readiness word is written against.
//!
//! Under `--cfg loom` they come from `loom`, which explores every interleaving of the
//! threads in a model; otherwise from `std`. [`readiness`](crate::readiness) imports its
//! atomic only from here, so the code loom checks is the code that ships. (The waker slots
//! come from `wakers`, which switches to loom's mutex under the same flag.)
//!
//! Invariant: this module only re-exports; it adds no behaviour of its own.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
