//! A small, fast multi-task executor: the lesson's executor whose wakers re-queue their task,
//! grown into one you can use.
//!
//! ```
//! use executor::Executor;
//!
//! let executor = Executor::new();
//! let handle = executor.spawn(async { 42 });
//! assert_eq!(executor.block_on(handle), 42); // runs the task while it waits
//! ```
//!
//! Or let `#[executor::main]` build one (a worker thread per core) around your `main`:
//!
//! ```
//! #[executor::main]
//! async fn main() {
//!     let blocking = executor::spawn_blocking(|| std::thread::available_parallelism());
//!     let task = executor::spawn(async { 6 * 7 });
//!     println!("{} on {:?} cores", task.await, blocking.await);
//! }
//! ```
//!
//! # How it works
//!
//! * A task is one allocation (the cell from the `join-handle` crate): state word, future,
//!   then output, join waker, and a handle to the executor.
//! * Runnable tasks wait in lock-free FIFO queues: one injector (crossbeam's `ArrayQueue`,
//!   spilling into a `SegQueue`) for tasks from outside, and one local queue per runner
//!   thread for tasks woken or spawned on it, which idle runners steal from. A task's waker
//!   queues it at most once however often it is woken, never while it runs (a wake during a
//!   poll re-queues it after the poll), and never after it finished.
//! * Any number of threads drive the executor: callers of [`Executor::run`] and
//!   [`Executor::block_on`], and owned worker threads ([`Executor::builder`]). A thread with no
//!   work parks; a push wakes at most one parked thread, never all of them, and none while
//!   another woken one is on its way.
//! * FIFO order is the fairness rule: a task that wakes itself goes to the back of its
//!   queue, so it cannot starve the others; runners look at the injector first, and at their
//!   own queue first every 61st time.
//! * Panics in tasks are caught and handed to the task's [`JoinHandle`]; the executor and the
//!   other tasks carry on.
//! * Dropping an executor drops every live task's future; later wakes of those tasks do
//!   nothing.
//!
//! [`LocalExecutor`] is the same machinery for `!Send` futures on one thread.
//!
//! # Where it sits
//!
//! ```text
//! executor ──┬── join-handle          (the task cell and JoinHandle)
//!            └── wakers               (Parker, WakerSlot, test wakers)
//! block-on ───── wakers
//! timers ─────── wakers
//! ```

mod blocking;
mod current;
mod entry;
mod executor;
mod injector;
mod local;
mod registry;
mod runner;
mod shared;
mod sleepers;
mod sync;
#[cfg(test)]
mod test_support;
mod undriven;
mod yield_now;

pub use crate::blocking::{BLOCKING_KEEP_ALIVE, MAX_BLOCKING_THREADS, spawn_blocking};
pub use crate::current::{spawn, spawn_local};
#[doc(hidden)]
pub use crate::entry::__private;
pub use crate::entry::{default_worker_threads, start};
pub use crate::executor::{Builder, Executor};
pub use crate::local::LocalExecutor;
pub use crate::yield_now::yield_now;
pub use executor_macros::{main, test};
pub use join_handle::{JoinError, JoinHandle, TryJoin};
