//! Helpers shared by the executor's tests.

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

// One deadline guard for every test crate of the workspace; re-exported here so the tests keep
// saying `common::within`. Not every test binary that includes this module uses it.
#[allow(unused_imports)]
pub use testkit::within;

/// Adds one to a counter when dropped.
pub struct DropCounter(pub Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// The lesson's countdown: records `(name, left)` on every poll, wakes itself, and finishes
/// at zero, recording its name in `done`.
pub struct Countdown {
    pub name: &'static str,
    pub left: usize,
    pub trace: Arc<std::sync::Mutex<Vec<(&'static str, usize)>>>,
    pub done: Arc<std::sync::Mutex<Vec<&'static str>>>,
}

impl Future for Countdown {
    type Output = &'static str;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        let (name, left) = (self.name, self.left);
        self.trace.lock().unwrap().push((name, left));
        if left == 0 {
            self.done.lock().unwrap().push(name);
            Poll::Ready(name)
        } else {
            self.left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// A future that stays pending until its (externally stored) waker is woken `needed` times,
/// counting its polls.
pub struct CountPolls {
    pub polls: Arc<AtomicUsize>,
}

impl Future for CountPolls {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        Poll::Pending
    }
}

/// What a test needs of either kind of executor, so that one test body checks both an
/// `Executor` and a `LocalExecutor` built by their shared `Builder`.
pub trait AnyExecutor: Sized {
    /// The builder the test starts from.
    fn builder() -> executor::Builder<Self>;
    fn build(builder: executor::Builder<Self>) -> Self;
    fn spawn<F>(&self, name: Option<&str>, future: F) -> executor::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    fn block_on<F: Future>(&self, future: F) -> F::Output;
    fn dump(&self) -> executor::Dump;
}

/// Implements [`AnyExecutor`] for `$ty`, starting from `$builder`.
macro_rules! any_executor {
    ($ty:ty, $builder:expr) => {
        impl AnyExecutor for $ty {
            fn builder() -> executor::Builder<Self> {
                $builder
            }
            fn build(builder: executor::Builder<Self>) -> Self {
                builder.build()
            }
            #[track_caller]
            fn spawn<F>(&self, name: Option<&str>, future: F) -> executor::JoinHandle<F::Output>
            where
                F: Future + Send + 'static,
                F::Output: Send + 'static,
            {
                match name {
                    Some(name) => self.task().name(name).spawn(future),
                    None => <$ty>::spawn(self, future),
                }
            }
            fn block_on<F: Future>(&self, future: F) -> F::Output {
                <$ty>::block_on(self, future)
            }
            fn dump(&self) -> executor::Dump {
                <$ty>::dump(self)
            }
        }
    };
}

// With a worker thread, so tasks run off the test's thread too.
any_executor!(
    executor::Executor,
    executor::Executor::builder().worker_threads(1)
);
any_executor!(executor::LocalExecutor, executor::LocalExecutor::builder());
