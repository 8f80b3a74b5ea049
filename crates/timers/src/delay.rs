//! [`DelayFuture`]: the lesson's timer, resolving to a message after a delay.
//!
//! The lesson's version spawns a thread per timer; this one is a [`Sleep`] plus the message,
//! so it shares the one driver thread with every other timer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::sleep::{Sleep, sleep};

/// A future that resolves to its message once its delay has passed (lesson 5, exercise 3).
///
/// `Send + Unpin`. The delay is measured from [`DelayFuture::new`].
///
/// ```
/// use std::time::{Duration, Instant};
/// use timers::DelayFuture;
///
/// let start = Instant::now();
/// let message = block_on::block_on(DelayFuture::new(Duration::from_millis(20), "hello"));
/// assert_eq!(message, "hello");
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct DelayFuture {
    sleep: Sleep,
    message: Option<String>,
}

impl DelayFuture {
    /// A future that yields `message` once `delay` has passed.
    ///
    /// ```
    /// let f = timers::DelayFuture::new(std::time::Duration::ZERO, "now");
    /// assert_eq!(block_on::block_on(f), "now");
    /// ```
    pub fn new(delay: Duration, message: impl Into<String>) -> DelayFuture {
        DelayFuture {
            sleep: sleep(delay),
            message: Some(message.into()),
        }
    }
}

impl Future for DelayFuture {
    type Output = String;

    /// # Panics
    ///
    /// Panics if polled again after it returned its message.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(
            self.message
                .take()
                .expect("DelayFuture polled after it returned its message"),
        )
    }
}
