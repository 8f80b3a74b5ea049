//! Wakers: the bottom of the runtime's crate stack.
//!
//! A [`Waker`](std::task::Waker) is how a future that cannot make progress yet says "poll me
//! again later". This crate has the wakers everything above it is built from:
//!
//! * [`Parker`] / [`Unparker`]: block a thread until another thread unparks it, with the token
//!   kept when the unpark comes first. [`Parker::waker`] is the lesson's thread-parking waker.
//! * [`noop_waker`], [`waker_fn`], [`CountingWaker`]: wakers for tests, hand polling and the
//!   lessons.
//! * [`idle`]: the seam through which an idle executor thread blocks in an event driver
//!   (the I/O reactor) instead of on its own parker.
//! * [`WakerSlot`]: a place where a waiting side registers its waker and a waking side finds
//!   it, with no lost wake-up when both race. Join handles and timers use it.
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
//! `block-on`, `executor` and `timers` build on this crate; it depends on nothing of ours.
//!
//! # Example: a hand-written `block_on`
//!
//! ```
//! use std::future::Future;
//! use std::pin::pin;
//! use std::task::{Context, Poll};
//! use wakers::Parker;
//!
//! fn block_on<F: Future>(future: F) -> F::Output {
//!     let parker = Parker::new();
//!     let waker = parker.waker();
//!     let mut cx = Context::from_waker(&waker);
//!     let mut future = pin!(future);
//!     loop {
//!         match future.as_mut().poll(&mut cx) {
//!             Poll::Ready(output) => return output,
//!             Poll::Pending => parker.park(),
//!         }
//!     }
//! }
//!
//! assert_eq!(block_on(async { 1 + 1 }), 2);
//! ```
//!
//! # Model checking
//!
//! The parker protocol and the slot's register/wake race are checked with loom:
//! `RUSTFLAGS="--cfg loom" cargo test -p wakers --release --lib`.

pub mod budget;
mod counting;
pub mod idle;
mod parker;
mod simple;
mod slot;
mod sync;

/// Not part of the API: the loom-switchable mutex and `UnsafeCell` the workspace's crates
/// share, so that their two back ends are written once. Under `--cfg loom` they are loom's,
/// otherwise `parking_lot`'s and `std`'s.
#[doc(hidden)]
pub mod __loom {
    pub use crate::sync::{Mutex, UnsafeCell};
}

pub use counting::CountingWaker;
pub use futures_task::WakerRef;
pub use parker::{Parker, Unparker};
pub use simple::{noop_waker, waker_fn};
pub use slot::WakerSlot;
