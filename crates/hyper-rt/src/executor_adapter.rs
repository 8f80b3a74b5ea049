//! [`HyperExecutor`]: hyper's `rt::Executor` on our executor.

use std::future::Future;

/// Runs hyper's background futures (HTTP/2 streams, client connections handed to a pool) as
/// tasks on the executor driving the caller, through [`executor::spawn`].
///
/// # Panics
///
/// hyper calls `execute` from inside the connection future; that future must run on our
/// executor (inside `Executor::block_on`, `run`, a worker thread, or a `LocalExecutor`),
/// otherwise [`executor::spawn`] panics with a message saying so.
///
/// ```
/// use hyper::rt::Executor as _;
///
/// let ex = executor::Executor::new();
/// let (tx, rx) = std::sync::mpsc::channel();
/// ex.block_on(async {
///     hyper_rt::HyperExecutor::default().execute(async move { tx.send(42).unwrap() });
///     timers::sleep(std::time::Duration::from_millis(1)).await; // let the task run
/// });
/// assert_eq!(rx.recv().unwrap(), 42);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperExecutor;

impl<F> hyper::rt::Executor<F> for HyperExecutor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        // Dropping the handle detaches the task: hyper does not wait for it.
        drop(executor::spawn(future));
    }
}
