//! Timers for any executor: [`sleep`], [`sleep_until`], [`timeout`], [`timeout_at`],
//! [`interval`] and the lessons' [`DelayFuture`], all served by one driver thread.
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
//! * **Exact deadlines.** Slots only order timers; each keeps its exact deadline, and the
//!   driver parks until that instant, not until a tick boundary. A timer never completes early.
//! * **Lock-free registration.** A timer registers on its first poll by pushing an op onto a
//!   lock-free queue; the driver is unparked only if the new deadline is earlier than the one
//!   it sleeps towards (or, to bound memory, every 4096 ops of a thread).
//! * **One allocation per timer**, made on the first poll that has to wait; a timer already
//!   due completes at once without one. A changed waker is picked up on the next poll.
//! * **Cancel on drop.** Dropping a pending timer removes it from the wheel and frees its
//!   memory, long before its deadline.
//!
//! # Where it sits
//!
//! ```text
//! executor ── join-handle ── block-on ── wakers      timers ── wakers
//! ```
//!
//! `timers` depends only on `wakers` (for the driver's `Parker` and the timer's `WakerSlot`)
//! and `crossbeam-queue`. It works under `block_on`, our `executor`, tokio, `futures`'
//! executors or any other: nothing in it needs a runtime context.

mod delay;
mod driver;
mod entry;
mod interval;
mod sleep;
mod timeout;
mod wheel;

pub use delay::DelayFuture;
pub use interval::{Interval, interval, interval_at};
pub use sleep::{Sleep, sleep, sleep_until};
pub use timeout::{Elapsed, Timeout, timeout, timeout_at};
