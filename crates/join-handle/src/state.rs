//! The task's state word: every bit, and who may change it.
//!
//! One `AtomicUsize` per task decides every race between the runner, wakers, the join handle
//! and the executor's shutdown. Reference counting is not in here: the task cell lives in an
//! `Arc`, and `Arc` counts the references.
//!
//! | bit         | set by                                   | cleared by                  |
//! |-------------|------------------------------------------|-----------------------------|
//! | `SCHEDULED` | a wake (idle task: the waker queues it)  | the runner, as it starts    |
//! | `RUNNING`   | whoever claims the future (runner, abort, shutdown) | the same, when done |
//! | `COMPLETE`  | the claimer, once the future is gone     | never                       |
//! | `CANCELLED` | `abort()`                                | never                       |
//! | `HANDLE`    | spawn (the handle starts alive)          | dropping the `JoinHandle`   |
//!
//! Rules that follow:
//!
//! * `RUNNING` is the lock on the future: only its holder may poll or drop it.
//! * A task is in the run queue at most once: only the waker that moves it from idle to
//!   `SCHEDULED`, or the runner that sees `SCHEDULED` after a poll, pushes it.
//! * A wake of a `RUNNING` task only sets `SCHEDULED`; the runner re-queues it after the poll,
//!   so the wake is never lost and the task is never polled twice at once.
//! * A wake of a `COMPLETE` task does nothing.
//! * `COMPLETE` is set only after the future has been dropped, so a finished handle means the
//!   future's destructor has run.

/// The task is in the run queue, or has been woken while running and will be queued again.
pub(crate) const SCHEDULED: usize = 1 << 0;
/// Someone holds the future: a runner polling it, or an abort or shutdown dropping it.
pub(crate) const RUNNING: usize = 1 << 1;
/// The future is gone and the result (output, panic or cancellation) is decided.
pub(crate) const COMPLETE: usize = 1 << 2;
/// `abort()` was called: the future is dropped at the next chance instead of being polled.
pub(crate) const CANCELLED: usize = 1 << 3;
/// The `JoinHandle` is alive: the output is kept for it.
pub(crate) const HANDLE: usize = 1 << 4;

/// The state of a freshly spawned task: queued once, its handle alive.
pub(crate) const INITIAL: usize = SCHEDULED | HANDLE;
