//! Broken `JoinHandle`s: the awaiting side of exercise 5 gets the waiting wrong.
//!
//! Each wraps our real [`JoinHandle`] but polls it with a no-op waker, so the task's
//! completion wakes nobody; they differ in what they do instead.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll};

use executor::JoinHandle;

use super::block_on::PERIOD;
use crate::runners::{Join, Joined};

/// Polls `handle` without registering the caller's waker.
fn peek(handle: &mut JoinHandle<i64>) -> Poll<i64> {
    let waker = wakers::noop_waker();
    Pin::new(handle).poll(&mut Context::from_waker(&waker))
}

/// Never stores a waker; wakes itself on every `Pending` instead, so whoever awaits it polls
/// it again at once, in a loop, until the task completes. Right value, on time, busy.
#[derive(Debug, Clone, Copy, Default)]
pub struct BusyJoinHandle;

impl Join for BusyJoinHandle {
    fn join(&self, mut handle: JoinHandle<i64>) -> Joined {
        Box::pin(poll_fn(move |cx| {
            let out = peek(&mut handle);
            if out.is_pending() {
                cx.waker().wake_by_ref();
            }
            out
        }))
    }
}

/// Re-checks the task on a timer every [`PERIOD`] instead of being woken by it: few polls,
/// no busy CPU, but the value arrives up to a period late.
#[derive(Debug, Clone, Copy, Default)]
pub struct PollingJoinHandle;

impl Join for PollingJoinHandle {
    fn join(&self, mut handle: JoinHandle<i64>) -> Joined {
        Box::pin(async move {
            loop {
                if let Poll::Ready(v) = peek(&mut handle) {
                    return v;
                }
                timers::sleep(PERIOD).await;
            }
        })
    }
}

/// Stores no waker at all: a task that was not done at the first poll never wakes the
/// awaiting side, which waits for good. The verifier's time-out turns the rows FAIL.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverWokenJoinHandle;

impl Join for NeverWokenJoinHandle {
    fn join(&self, mut handle: JoinHandle<i64>) -> Joined {
        Box::pin(poll_fn(move |_| peek(&mut handle)))
    }
}
