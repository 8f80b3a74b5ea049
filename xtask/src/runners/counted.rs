//! [`Counted`]: a future wrapper that counts how often it is polled.
//!
//! The load-independent signal of the verifier: a future that is awaited once and woken once
//! is polled exactly twice by a correct executor, however busy the machine is, while a busy
//! poller's count grows with every turn of its loop.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll};

/// Wraps a future and counts its polls in a shared counter.
///
/// ```
/// use xtask::runners::counted::Counted;
///
/// let (future, polls) = Counted::new(async { 7 });
/// assert_eq!(block_on::block_on(future), 7);
/// assert_eq!(polls.get(), 1);
/// ```
#[derive(Debug)]
pub struct Counted<F> {
    inner: Pin<Box<F>>,
    polls: PollCount,
}

/// The poll count of a [`Counted`] future; cheap to clone, readable from any thread.
#[derive(Debug, Clone, Default)]
pub struct PollCount(Arc<AtomicI64>);

impl PollCount {
    /// How many times the future has been polled so far.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl<F> Counted<F> {
    /// `future`, counted; the count is read through the returned [`PollCount`].
    pub fn new(future: F) -> (Counted<F>, PollCount) {
        let polls = PollCount::default();
        let counted = Counted {
            inner: Box::pin(future),
            polls: polls.clone(),
        };
        (counted, polls)
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.0.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
    }
}
