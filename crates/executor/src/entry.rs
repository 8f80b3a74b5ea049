//! Entry points: [`start`], the plain-function form of `#[executor::main]`, and what the
//! macros expand to.

use std::future::Future;
use std::num::NonZero;

use crate::Executor;

/// How many worker threads an entry point starts when not told: one per core the operating
/// system lets this process use (1 if it cannot tell).
///
/// ```
/// assert!(executor::default_worker_threads() >= 1);
/// ```
pub fn default_worker_threads() -> usize {
    std::thread::available_parallelism().map_or(1, NonZero::get)
}

/// Runs `future` to completion on a new executor with one worker thread per available core,
/// and returns its output: the plain-function form of `#[executor::main]`, for those who
/// avoid macros.
///
/// The calling thread drives tasks too while it waits. When `future` returns, the executor is
/// dropped: its workers stop, and tasks still alive are cancelled (their handles report it).
///
/// ```
/// let sum = executor::start(async {
///     let a = executor::spawn(async { 20 });
///     let b = executor::spawn(async { 22 });
///     a.await + b.await
/// });
/// assert_eq!(sum, 42);
/// ```
#[track_caller]
pub fn start<F: Future>(future: F) -> F::Output {
    start_with(None, future)
}

/// `#[executor::main(worker_threads = n)]`: `None` means one per available core.
#[track_caller]
pub(crate) fn start_with<F: Future>(worker_threads: Option<usize>, future: F) -> F::Output {
    let workers = worker_threads.unwrap_or_else(default_worker_threads);
    Executor::builder()
        .worker_threads(workers)
        .build()
        .block_on(future)
}

/// What `#[executor::main]` and `#[executor::test]` expand to. Not a public API.
#[doc(hidden)]
pub mod __private {
    use std::future::Future;

    /// Builds the executor and blocks on the body of the annotated function.
    #[inline]
    #[track_caller]
    pub fn start_with<F: Future>(worker_threads: Option<usize>, body: F) -> F::Output {
        super::start_with(worker_threads, body)
    }
}
