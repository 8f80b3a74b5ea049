//! `JoinHandle<T>` and the task it joins: the contract between a spawned task and whoever
//! awaits it.
//!
//! A task is one allocation holding its state word, its id, spawn location and name, its
//! future (later its output), the waker of whoever awaits it, and a handle to its executor.
//! Each thread keeps the block of the last small cell freed on it for the next cell of that
//! size made there, so a task that spawns its successor, or a loop that spawns and
//! awaits, costs the allocator nothing after the first task.
//!
//! This crate owns that cell and the rules for it, so that an executor only has to queue
//! [`Runnable`]s (and, if it wants to list or cancel its tasks, keep [`TaskRef`]s):
//!
//! * [`spawn`] / [`spawn_local`] make a task from a future and a [`Schedule`] (the executor's
//!   queue), returning the first [`Runnable`] and the [`JoinHandle`].
//! * [`Runnable::run`] polls the task once, catching panics; a wake re-queues it through
//!   [`Schedule::schedule`], at most once however many wakes arrive.
//! * [`JoinHandle`] gives the output (`.await`), or a [`JoinError`] ([`JoinHandle::try_join`]);
//!   it can [`abort`](JoinHandle::abort) the task; dropping it detaches the task.
//! * [`TaskRef::snapshot`] reads a task's [`TaskId`], name, spawn location, state and poll
//!   count without polling it or waiting for anyone, and tells whether it is lost (idle with
//!   no waker left anywhere).
//!
//! The states and their transitions are documented in the `state` module's source; the cell's
//! invariants in `cell`.
//!
//! # Panics
//!
//! References to a task (wakers, [`Runnable`], [`TaskRef`]s, the [`JoinHandle`]) are counted
//! in its state word, up to 1 048 576 at once (2²⁰, half of the count's 21 bits, the other
//! half being headroom for threads racing past the limit). Cloning a waker, a
//! [`TaskRef`] or a [`Runnable`]'s task beyond that panics with a message saying so, and leaves
//! the count as it was: it never wraps.
//!
//! # Example
//!
//! ```
//! use executor::Executor;
//!
//! let ex = Executor::new();
//! let answer = ex.spawn(async { 42 });
//! let oops = ex.spawn(async { panic!("task failed") });
//! ex.run();
//! assert_eq!(block_on::block_on(answer), 42);
//! let err = block_on::block_on(oops.try_join()).unwrap_err();
//! assert!(err.is_panic());
//! ```
//!
//! # Where it sits
//!
//! ```text
//! executor ──┬── join-handle ── wakers (the task cell and JoinHandle)
//!            └── wakers               (Parker, WakerSlot, test wakers, budget)
//! block-on ───── wakers
//! timers ─────── wakers
//! ```
//!
//! Of our crates it uses only `wakers`, for the cooperative budget ([`wakers::budget`]) a
//! finished handle is charged to; any executor can use it through [`Schedule`].

mod cell;
mod error;
mod handle;
mod id;
#[cfg(all(test, loom))]
mod loom_tests;
mod meta;
mod ptr;
mod snapshot;
mod spare;
mod state;
mod sync;
mod task;

pub use error::JoinError;
pub use handle::{JoinHandle, TryJoin};
pub use id::TaskId;
pub use snapshot::{TaskSnapshot, TaskState};
pub use task::{Builder, Outcome, Runnable, Schedule, TaskEvent, TaskRef, spawn, spawn_local};
