//! Test and bench tooling shared by the workspace's crates: a dev-dependency only, never
//! published, and independent of our other crates except behind the `join-handle` feature (so
//! any of them can use it).
//!
//! * [`CountingAlloc`] and [`measure_allocations`], [`count_allocations`],
//!   [`thread_allocations`], [`AllocWindow`], [`live_bytes`]: a global allocator that counts
//!   allocations and live bytes.
//! * [`within()`]: runs a closure on its own thread and fails the test, instead of hanging, if
//!   it does not finish in time.
//! * [`forked_child_panics_with`] (unix): forks and checks that the child's code panics with
//!   the expected message instead of hanging.
//! * [`thread_names`] (Linux): the names of this process's threads.
//! * [`WakeHelper`] and [`RoundTrips`]: a thread that wakes every waker sent to it, and the
//!   future that goes back and forth with it (a cross-thread wake per round trip).
//! * `ToyQueue` (feature `join-handle`): a scheduler that queues `join-handle` runnables for
//!   the test to run by hand and records their task events.
//! * `GroupDefaults` (feature `criterion`): a bench group's timing settings, applied only
//!   where the command line gave none.

mod alloc;
#[cfg(feature = "criterion")]
mod bench;
#[cfg(unix)]
mod fork;
#[cfg(target_os = "linux")]
mod threads;
#[cfg(feature = "join-handle")]
mod toy_queue;
mod wake_helper;
mod within;

pub use crate::alloc::{
    AllocStats, AllocWindow, CountingAlloc, count_allocations, live_bytes, measure_allocations,
    thread_allocations,
};
#[cfg(feature = "criterion")]
pub use crate::bench::GroupDefaults;
#[cfg(unix)]
pub use crate::fork::forked_child_panics_with;
#[cfg(target_os = "linux")]
pub use crate::threads::thread_names;
#[cfg(feature = "join-handle")]
pub use crate::toy_queue::ToyQueue;
pub use crate::wake_helper::{RoundTrips, WakeHelper};
pub use crate::within::within;
