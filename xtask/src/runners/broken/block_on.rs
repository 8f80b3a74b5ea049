//! Broken `block_on`s: each returns the right value (or hangs) but gets the waiting wrong.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::runners::BlockOn;

/// `what-is-an-executor.md`'s educational `block_on`: a no-op waker and `yield_now` between
/// polls. It returns the right value, but busy-polls instead of parking.
///
/// Its CPU use depends on the machine's load (a yielding thread is descheduled while others
/// run), so the rows that catch it count polls: every turn of its loop is one more poll.
#[derive(Debug, Clone, Copy, Default)]
pub struct BusyBlockOn;

impl BlockOn for BusyBlockOn {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let waker = wakers::noop_waker();
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::yield_now();
        }
    }
}

/// A busy loop that never gives up its time slice: the same polls as [`BusyBlockOn`], but
/// it keeps its core, so its CPU time grows with the wait on a loaded machine too (the
/// scheduler gives every runnable thread a fair share, never nothing). It proves the CPU rows.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpinBlockOn;

impl BlockOn for SpinBlockOn {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let waker = wakers::noop_waker();
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            for _ in 0..64 {
                std::hint::spin_loop();
            }
        }
    }
}

/// How long [`PeriodicBlockOn`] (and [`super::PollingJoinHandle`]) waits between polls:
/// longer than every lateness bound of the specs (250 ms), and no divisor of their delays
/// at `--quick` scale, so a wait it serves is late by more than its bound.
pub const PERIOD: Duration = Duration::from_millis(700);

/// Ignores its waker and polls on a fixed period instead ("check again every so often"):
/// few polls and little CPU, but every wake is answered up to [`PERIOD`] late.
#[derive(Debug, Clone, Copy, Default)]
pub struct PeriodicBlockOn;

impl BlockOn for PeriodicBlockOn {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let waker = wakers::noop_waker();
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::sleep(PERIOD);
        }
    }
}

/// Parks between polls, but its waker does nothing: the first `Pending` leaves the thread
/// parked for good. The verifier's time-out turns every row of the exercise FAIL.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopWakerBlockOn;

impl BlockOn for NoopWakerBlockOn {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let mut future = pin!(future);
        let waker = wakers::noop_waker();
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    }
}
