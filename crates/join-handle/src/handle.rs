//! [`JoinHandle`] and [`TryJoin`]: the awaiting side of a task.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::TaskId;
use crate::cell::JoinTarget;
use crate::error::JoinError;
use crate::ptr::TaskPtr;

/// An owned permission to await a spawned task's output.
///
/// * `.await` gives the output `T`. If the task panicked, the panic resumes in the awaiter; if
///   it was cancelled (aborted, or its executor was dropped first), the awaiter panics with a
///   message saying so. Use [`try_join`](JoinHandle::try_join) to get those as a
///   [`JoinError`] instead.
/// * Dropping the handle **detaches** the task: it keeps running, and its output is dropped
///   when it finishes.
/// * [`abort`](JoinHandle::abort) cancels it.
///
/// `JoinHandle<T>` is `Unpin`, and `Send` when `T` is.
///
/// ```
/// use executor::Executor;
///
/// let ex = Executor::new();
/// let handle = ex.spawn(async { 40 + 2 });
/// ex.run();
/// assert!(handle.is_finished());
/// assert_eq!(block_on::block_on(handle), 42);
/// ```
pub struct JoinHandle<T> {
    task: TaskPtr<dyn JoinTarget<T>>,
    /// `Send`/`Sync` only when `T` is: the handle may carry the output across threads.
    _output: PhantomData<T>,
}

// The handle holds no `T` inline, only behind the pointer.
impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: TaskPtr<dyn JoinTarget<T>>) -> JoinHandle<T> {
        JoinHandle {
            task,
            _output: PhantomData,
        }
    }

    /// Cancels the task: its future is dropped at once if it is idle, or right after its
    /// current poll if it is running. Awaiting the handle then panics ("cancelled"), and
    /// [`try_join`](JoinHandle::try_join) gives a [`JoinError`] whose
    /// [`is_cancelled`](JoinError::is_cancelled) is true. Aborting a finished task does
    /// nothing: its output stays available.
    ///
    /// A task of the `executor` crate's `LocalExecutor` is dropped by its own thread
    /// when that thread next runs the executor.
    ///
    /// ```
    /// use executor::Executor;
    ///
    /// let ex = Executor::new();
    /// let handle = ex.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.is_finished());
    /// ex.run(); // returns at once: no task is alive
    /// ```
    pub fn abort(&self) {
        self.task.abort();
    }

    /// The task's id, unique in the process.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let a = ex.spawn(async {});
    /// let b = ex.spawn(async {});
    /// assert_ne!(a.id(), b.id());
    /// ```
    pub fn id(&self) -> TaskId {
        self.task.id()
    }

    /// True once the task has finished (with an output, a panic, or a cancellation) and its
    /// future has been dropped. Awaiting a finished handle does not block.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let handle = ex.spawn(async {});
    /// assert!(!handle.is_finished());
    /// ex.run();
    /// assert!(handle.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the task and returns `Ok(output)`, or `Err(JoinError)` if it panicked or was
    /// cancelled. Never panics itself.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let ok = ex.spawn(async { 1 });
    /// let bad = ex.spawn(async { panic!("no") });
    /// ex.run();
    /// assert_eq!(block_on::block_on(ok.try_join()).unwrap(), 1);
    /// assert!(block_on::block_on(bad.try_join()).unwrap_err().is_panic());
    /// ```
    pub fn try_join(self) -> TryJoin<T> {
        TryJoin { handle: self }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        // Charged to the cooperative budget when it hands out the result.
        match wakers::budget::poll_charged(cx, |cx| self.task.poll_join(cx)) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(output)) => Poll::Ready(output),
            Poll::Ready(Err(err)) if err.is_panic() => resume_unwind(err.into_panic()),
            Poll::Ready(Err(_)) => panic!(
                "awaited a JoinHandle whose task was cancelled (aborted, or its executor was \
                 dropped before it finished); use try_join() to handle that case"
            ),
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.task.drop_handle();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// The future returned by [`JoinHandle::try_join`]: the task's result, errors included.
///
/// ```
/// let ex = executor::Executor::new();
/// let handle = ex.spawn(std::future::pending::<u8>());
/// handle.abort();
/// let result = block_on::block_on(handle.try_join());
/// assert!(result.unwrap_err().is_cancelled());
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct TryJoin<T> {
    handle: JoinHandle<T>,
}

impl<T> TryJoin<T> {
    /// The handle being awaited, e.g. to [`abort`](JoinHandle::abort) the task meanwhile.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let join = ex.spawn(std::future::pending::<()>()).try_join();
    /// join.handle().abort();
    /// assert!(block_on::block_on(join).unwrap_err().is_cancelled());
    /// ```
    pub fn handle(&self) -> &JoinHandle<T> {
        &self.handle
    }
}

impl<T> Future for TryJoin<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        wakers::budget::poll_charged(cx, |cx| self.handle.task.poll_join(cx))
    }
}

impl<T> fmt::Debug for TryJoin<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TryJoin")
            .field("handle", &self.handle)
            .finish()
    }
}
