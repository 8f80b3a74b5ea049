//! The task's state word: every bit, and who may change it.
//!
//! One `AtomicU32` per task decides every race between the runner, wakers, the join handle
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
//! | `JOIN_WAKER`| the handle, after writing its waker      | the handle, to replace it   |
//! | `CONSUMED`  | whoever takes the output, after `COMPLETE` | never                     |
//! | `FAILED`    | the completer, together with `COMPLETE`  | never                       |
//!
//! Rules that follow:
//!
//! * `RUNNING` is the lock on the future: only its holder may poll or drop it.
//! * A task is in the run queue at most once: only the waker that moves it from idle to
//!   `SCHEDULED`, or the runner that sees `SCHEDULED` after a poll, pushes it.
//! * A wake of a `RUNNING` task only sets `SCHEDULED`; the runner re-queues it after the poll,
//!   so the wake is never lost and the task is never polled twice at once.
//! * A wake of a `COMPLETE` task does nothing.
//! * Which value the cell's slot holds follows from the state: the future before `COMPLETE`
//!   (except, for the `RUNNING` holder alone, between dropping it and storing the result),
//!   the result between `COMPLETE` and `CONSUMED` (the error if `FAILED`, else the output),
//!   nothing after `CONSUMED`.
//! * `COMPLETE` is set only after the future has been dropped, so a finished handle means the
//!   future's destructor has run.
//! * The join waker field belongs to the handle while `JOIN_WAKER` is clear and the task is
//!   not `COMPLETE`: only then may the handle write it, and it sets `JOIN_WAKER` (failing if
//!   `COMPLETE` came first) to publish it. While `JOIN_WAKER` is set the field is only read:
//!   by the handle (`will_wake`) and by the completer, who wakes it by reference if
//!   `JOIN_WAKER` was set when it set `COMPLETE`. To replace its waker, the handle first
//!   clears `JOIN_WAKER` (failing if `COMPLETE` came first). After `COMPLETE` the field is
//!   never written again; it is dropped with the cell.

/// The task is in the run queue, or has been woken while running and will be queued again.
pub(crate) const SCHEDULED: u32 = 1 << 0;
/// Someone holds the future: a runner polling it, or an abort or shutdown dropping it.
pub(crate) const RUNNING: u32 = 1 << 1;
/// The future is gone and the result (output, panic or cancellation) is decided.
pub(crate) const COMPLETE: u32 = 1 << 2;
/// `abort()` was called: the future is dropped at the next chance instead of being polled.
pub(crate) const CANCELLED: u32 = 1 << 3;
/// The `JoinHandle` is alive: the output is kept for it.
pub(crate) const HANDLE: u32 = 1 << 4;

/// The handle's waker is in the join waker field, for the completer to wake.
pub(crate) const JOIN_WAKER: u32 = 1 << 5;

/// The output has been taken out of the cell (by the handle, or dropped by the completer).
pub(crate) const CONSUMED: u32 = 1 << 6;

/// Set with `COMPLETE` when the result is an error (panic or cancellation), not an output.
pub(crate) const FAILED: u32 = 1 << 7;

/// The state of a freshly spawned task: queued once, its handle alive.
pub(crate) const INITIAL: u32 = SCHEDULED | HANDLE;
