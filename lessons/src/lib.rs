//! The lesson exercises as runnable examples, one per exercise, built on the runtime's
//! crates:
//!
//! ```text
//! cargo run --example ex1_block_on      # block_on drives a countdown to completion
//! cargo run --example ex2_executor      # three countdowns interleave on one executor
//! cargo run --example ex3_delay         # a real timer: the message after 2 s, no busy polling
//! cargo run --example ex4_concurrent    # three delays: fast, medium, slow, in ~3 s, not 6
//! cargo run --example ex5_join_handle   # spawn returns a handle to the task's output
//! ```
//!
//! This library holds what the examples share: the lessons' [`CountdownFuture`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The lessons' countdown: returns `Pending` `count` times, waking itself each time, then
/// `Ready` with its name. Each poll prints a line, so you can watch an executor drive it.
///
/// ```
/// let countdown = lessons::CountdownFuture::new("rocket", 3);
/// assert_eq!(block_on::block_on(countdown), "rocket");
/// ```
#[derive(Debug)]
pub struct CountdownFuture {
    name: &'static str,
    remaining: u32,
}

impl CountdownFuture {
    /// A countdown from `count`, printed under `name`.
    ///
    /// ```
    /// let countdown = lessons::CountdownFuture::new("a", 0);
    /// assert_eq!(block_on::block_on(countdown), "a"); // ready at the first poll
    /// ```
    pub fn new(name: &'static str, count: u32) -> CountdownFuture {
        CountdownFuture {
            name,
            remaining: count,
        }
    }
}

impl Future for CountdownFuture {
    type Output = &'static str;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        if self.remaining == 0 {
            println!("{}: done", self.name);
            return Poll::Ready(self.name);
        }
        println!("{}: {}", self.name, self.remaining);
        self.remaining -= 1;
        // Not done: ask to be polled again. Without this wake, nobody would poll us again.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
