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
//!   then output, join waker, and a handle to the executor. A thread reuses the block of the
//!   last cell freed on it for its next cell of that size.
//! * Runnable tasks wait in lock-free FIFO queues: one injector (crossbeam's `ArrayQueue`,
//!   spilling into a `SegQueue`) for tasks from outside, and one local queue per runner
//!   thread for tasks woken or spawned on it, which idle runners steal from. A task's waker
//!   queues it at most once however often it is woken, never while it runs (a wake during a
//!   poll re-queues it after the poll), and never after it finished.
//! * Any number of threads drive the executor: callers of [`Executor::run`] and
//!   [`Executor::block_on`], and owned worker threads ([`Executor::builder`]). A thread with no
//!   work parks, or, once the I/O reactor exists, waits in its poller if no other thread does
//!   (the events it receives wake their tasks on that thread; see [`wakers::idle`]); a push
//!   wakes at most one parked thread, never all of them, and none while another woken one is
//!   on its way.
//! * FIFO order is the fairness rule: a task that wakes itself goes to the back of its
//!   queue, so it cannot starve the others; runners look at the injector first, and at their
//!   own queue first once in a while (a fixed prime interval), so neither starves.
//! * One exception, for message passing: the first task that a task's poll wakes (not
//!   itself, and not a task it spawns) waits in a one-task slot of the runner's queue, which
//!   the runner takes before anything else, so a receiver runs right after its sender, while
//!   their channel is still in the cache. After a few slot tasks in a row (a fixed cap) while
//!   others wait, the slot's task goes to the back of the queue. Idle runners steal from the
//!   slot too, so it never waits behind a runner that blocks.
//! * A task woken or spawned on a runner goes to that runner's queue, and a sleeping runner is
//!   woken for it (one at a time): if the runner that queued it then blocks its thread or
//!   computes for long, the idle runner steals the task instead of letting it wait.
//! * Panics in tasks are caught and handed to the task's [`JoinHandle`]; the executor and the
//!   other tasks carry on.
//! * Dropping an executor drops every live task's future (its owned workers stop after their
//!   current poll, even while tasks keep waking themselves), and their handles report
//!   cancellation; later wakes of those tasks do nothing, and a task spawned on a dropped
//!   executor (by one of its own tasks still running) is cancelled at once. A
//!   [`LocalExecutor`]'s futures are dropped on its own thread, however other threads wake them.
//! * [`Executor::run`] called inside one of its own tasks panics (it would wait for itself);
//!   `block_on` may be nested.
//!
//! # Cooperative budget
//!
//! A task that loops over futures that are always ready (a `timers::interval` that is behind, a
//! sleep whose deadline has passed, handles of finished tasks) never returns `Pending` by
//! itself, and would keep its runner from every other task. So every poll has a budget
//! (the `wakers::budget` module):
//!
//! * **Size**: `wakers::budget::PER_POLL` = 128 ready results per poll. Each runner refills it
//!   before every poll of a task, and before every poll of `block_on`'s own future.
//! * **Charge sites**: the leaf futures that can be ready over and over: the timers (`Sleep`,
//!   and so `sleep`, `sleep_until`, `interval` ticks, `timeout`, `DelayFuture`), a
//!   [`JoinHandle`] or its [`TryJoin`] handing out the task's result. Each spends one unit
//!   when it returns `Ready` (a join handle, which cannot take a result back, looks at the
//!   budget first and yields without polling if it is spent). [`yield_now()`] is not one: it
//!   yields on every first poll, so it can never keep a runner.
//! * **How a budgeted future re-wakes**: with the budget spent, the charge site wakes its own
//!   waker and returns `Pending`, leaving its state as it was (it is ready again next poll). A
//!   budgeted future is never `Pending` without a wake: the task goes to the back of its queue
//!   and runs again soon, with a fresh budget.
//! * Outside an executor's poll (a plain `block_on`, another runtime) nothing is budgeted. A
//!   blocking wait nested inside a task that re-polls at once is let through after
//!   `wakers::budget::REFUSALS` refusals, so it cannot spin.
//!
//! Inside a task the budget is there, and spent after `PER_POLL` charges:
//!
//! ```
//! use std::future::poll_fn;
//! use std::task::Poll;
//! use wakers::budget;
//!
//! let ex = executor::Executor::new();
//! let granted = ex.spawn(poll_fn(|cx| {
//!     let mut granted = 0;
//!     while budget::charge(cx).is_ready() {
//!         granted += 1;
//!     }
//!     Poll::Ready(granted) // the refusal woke this task; finishing is fine too
//! }));
//! assert_eq!(ex.block_on(granted), budget::PER_POLL);
//! ```
//!
//! [`LocalExecutor`] is the same machinery for `!Send` futures on one thread.
//!
//! # Looking inside
//!
//! * Every task has a [`TaskId`] ([`JoinHandle::id`], [`task_id`] inside it), the location of
//!   the `spawn` call that made it, and optionally a name ([`Executor::task`]).
//! * [`Executor::dump`] lists the waiting tasks with their state, poll count, and whether they
//!   are lost (idle with no waker left: they can never run again). It never polls a task and
//!   never waits for a runner.
//! * Opt-in on the [`Builder`] (of an [`Executor`] or a [`LocalExecutor`]): a long-poll
//!   watchdog, lost-task and busy-task reports (one monitor thread reading the same
//!   snapshots), callbacks on spawn and termination, and per-task time in poll and time
//!   queued ([`Builder::task_timing`]; off, a tested bit per poll).
//! * [`task_local!`] values follow a future across polls and threads, and no further.
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
mod hooks;
mod idle;
mod injector;
mod introspect;
mod local;
mod monitor;
mod next_slot;
mod registry;
mod runner;
mod scheduler;
mod shared;
pub mod sim;
mod sleepers;
mod sync;
mod task_local;
#[cfg(test)]
mod test_support;
mod timing;
mod undriven;
mod yield_now;

pub use crate::blocking::{BLOCKING_KEEP_ALIVE, MAX_BLOCKING_THREADS, spawn_blocking};
pub use crate::current::{spawn, spawn_local};
#[doc(hidden)]
pub use crate::entry::__private;
pub use crate::entry::{default_worker_threads, start};
pub use crate::executor::{Builder, Executor};
pub use crate::introspect::{Dump, LocalTaskBuilder, TaskBuilder, task_id};
pub use crate::local::LocalExecutor;
pub use crate::task_local::{AccessError, LocalKey, TaskLocalFuture};
pub use crate::yield_now::yield_now;
pub use executor_macros::{main, test};
pub use join_handle::{JoinError, JoinHandle, Outcome, TaskId, TaskSnapshot, TaskState, TryJoin};
