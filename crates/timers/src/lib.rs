//! Timers for any executor: [`sleep()`], [`sleep_until`], [`timeout()`], [`timeout_at`],
//! [`interval()`] and the lessons' [`DelayFuture`], all served by one driver thread.
//!
//! ```
//! use std::time::{Duration, Instant};
//!
//! let start = Instant::now();
//! let message = block_on::block_on(async {
//!     timers::sleep(Duration::from_millis(10)).await;
//!     let late = timers::timeout(Duration::from_millis(10), std::future::pending::<()>()).await;
//!     assert_eq!(late, Err(timers::Elapsed::new()));
//!     timers::DelayFuture::new(Duration::from_millis(10), "hello from the future!").await
//! });
//! assert_eq!(message, "hello from the future!");
//! assert!(start.elapsed() >= Duration::from_millis(30));
//! ```
//!
//! # How it works
//!
//! * **One driver, no thread per timer.** The first timer that needs waiting starts one thread,
//!   `timers-driver`, which owns a hierarchical timing wheel (6 levels of 64 slots, ~1 ms
//!   ticks at the bottom). It parks until the earliest deadline; with no timer pending it parks
//!   without a timeout, so an idle process spends no CPU on timers.
//! * **No thread beside an event driver.** If an event driver (the `reactor` crate's I/O
//!   poller) is installed as the process's `wakers::idle::IdleDriver` when the first timer
//!   needs waiting, no `timers-driver` thread is started: whoever waits in that driver runs
//!   the wheel and waits no longer than the earliest deadline, so a timer that fires for a
//!   thread waiting for I/O costs one wake-up, not two. Deadlines are then kept to the
//!   poller's resolution (epoll: a timeout is rounded up to the next millisecond).
//! * **Exact deadlines.** Slots only order timers; each keeps its exact deadline, and the
//!   driver parks until that instant, not until a tick boundary. A timer never completes early.
//! * **Registration without a global lock.** A timer registers on its first poll by appending
//!   an op to its thread's own batch (a lock only that thread and the driver take; a lock-free
//!   queue for threads being torn down). The wheel is walked by the driver alone. The driver is
//!   unparked only if the new deadline is earlier than the one it sleeps towards (or, to bound
//!   memory, every 4096 ops of a thread).
//! * **At most one allocation per timer**, made on the first poll that has to wait; a timer
//!   already due completes at once without one. A timer dropped once the driver no longer
//!   holds it (or before it ever saw it) leaves its allocation to the next timer its thread
//!   registers (one spare per thread). A changed waker is picked up on the next poll.
//! * **Cancel on drop.** Dropping a pending timer removes it from the wheel and frees its
//!   memory, long before its deadline. One dropped before the driver took its registration
//!   (create, poll once, drop) is simply taken back out of its thread's batch.
//! * **Virtual time for simulators.** [`now`] is the clock every timer reads. On a thread where
//!   a simulator has entered a [`hooks::VirtualClock`], `now` is that clock's virtual time and
//!   waiting timers register with it instead of the driver (which then never starts); outside
//!   one, this costs one relaxed load.
//!
//! * **A driver that does not die quietly.** User code (a waker's `wake` or `drop`) runs on
//!   the driver only under `catch_unwind`. Should the driver thread die anyway (a bug), or in
//!   a child made by `fork()` without `exec` (which has no copy of the driver thread), the
//!   next timer operation panics with a message saying so rather than hanging. Timers are
//!   not fork-safe: use them in the child only after `exec`.
//!
//! # Where it sits
//!
//! ```text
//! executor ──┬── join-handle          (the task cell and JoinHandle)
//!            └── wakers               (Parker, WakerSlot, test wakers)
//! block-on ───── wakers
//! timers ─────── wakers
//! ```
//!
//! `timers` depends only on `wakers` (for the driver's `Parker` and the timer's `WakerSlot`),
//! `parking_lot` and `crossbeam-queue`. It works under `block_on`, our `executor`, tokio, `futures`'
//! executors or any other: nothing in it needs a runtime context.

mod delay;
mod driver;
mod entry;
mod folded;
pub mod hooks;
mod interval;
mod sleep;
mod spare;
mod timeout;
mod wheel;

pub use delay::DelayFuture;
pub use hooks::now;
pub use interval::{Interval, MissedTickBehavior, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};
