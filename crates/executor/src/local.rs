//! [`LocalExecutor`]: an executor for `!Send` futures, driven on one thread.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::rc::Rc;
use std::sync::Arc;

use join_handle::JoinHandle;

use crate::Builder;
use crate::runner;
use crate::shared::Shared;

/// An executor for futures that are not `Send`: every task runs on the thread that created
/// the executor. It is itself `!Send` and `!Sync`.
///
/// Wakers of its tasks may still be woken from any thread; the task then runs on the
/// executor's thread the next time it drives the executor.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use executor::LocalExecutor;
///
/// let ex = LocalExecutor::new();
/// let counter = Rc::new(Cell::new(0));
/// for _ in 0..3 {
///     let counter = counter.clone();
///     ex.spawn(async move { counter.set(counter.get() + 1) });
/// }
/// ex.run();
/// assert_eq!(counter.get(), 3);
/// ```
pub struct LocalExecutor {
    pub(crate) shared: Arc<Shared>,
    _not_send: PhantomData<Rc<()>>,
}

impl LocalExecutor {
    /// Creates a local executor owned by the current thread.
    ///
    /// ```
    /// let ex = executor::LocalExecutor::new();
    /// assert_eq!(ex.block_on(async { 3 }), 3);
    /// ```
    #[track_caller]
    pub fn new() -> LocalExecutor {
        LocalExecutor {
            shared: Shared::new(Some(std::thread::current().id())),
            _not_send: PhantomData,
        }
    }

    /// Starts building a local executor with task hooks, reports or timing: the same options
    /// as [`Executor::builder`](crate::Executor::builder)'s, except worker threads.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let spawned = Arc::new(Mutex::new(Vec::new()));
    /// let seen = spawned.clone();
    /// let ex = executor::LocalExecutor::builder()
    ///     .on_task_spawn(move |task| seen.lock().unwrap().push(task.id()))
    ///     .build();
    /// let handle = ex.spawn(async { std::rc::Rc::new(1) });
    /// let id = handle.id();
    /// assert_eq!(*ex.block_on(handle), 1);
    /// assert_eq!(*spawned.lock().unwrap(), [id]);
    /// ```
    pub fn builder() -> Builder<LocalExecutor> {
        Builder::default()
    }

    /// Spawns a task, which need not be `Send`, and returns its [`JoinHandle`].
    ///
    /// ```
    /// use std::rc::Rc;
    /// let ex = executor::LocalExecutor::new();
    /// let rc = Rc::new("not Send");
    /// let handle = ex.spawn(async move { rc.len() });
    /// assert_eq!(ex.block_on(handle), 8);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn_local(future, join_handle::Builder::new())
    }

    /// Drives tasks until no spawned task is alive, parking while they wait.
    ///
    /// # Panics
    ///
    /// Panics if called from inside one of this executor's own tasks: it would wait for that
    /// task to finish, which cannot happen while it waits.
    ///
    /// ```
    /// let ex = executor::LocalExecutor::new();
    /// let handle = ex.spawn(async { 1 });
    /// ex.run();
    /// assert!(handle.is_finished());
    /// ```
    pub fn run(&self) {
        runner::run(&self.shared, "LocalExecutor::run");
    }

    /// Drives tasks until `future` completes, and returns its output.
    ///
    /// ```
    /// let ex = executor::LocalExecutor::new();
    /// let out = ex.block_on(async { executor::spawn_local(async { 9 }).await });
    /// assert_eq!(out, 9);
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        runner::block_on(&self.shared, future)
    }
}

impl Builder<LocalExecutor> {
    /// Builds the local executor, owned by the current thread, and starts the monitor thread
    /// if a report asks for one.
    ///
    /// # Panics
    ///
    /// Panics if the operating system refuses to start the monitor thread.
    ///
    /// ```
    /// let ex = executor::LocalExecutor::builder().build(); // like LocalExecutor::new()
    /// assert_eq!(ex.block_on(async { 2 }), 2);
    /// ```
    #[track_caller]
    pub fn build(self) -> LocalExecutor {
        LocalExecutor {
            shared: self.shared(Some(std::thread::current().id())),
            _not_send: PhantomData,
        }
    }
}

impl Default for LocalExecutor {
    #[track_caller]
    fn default() -> Self {
        LocalExecutor::new()
    }
}

impl Drop for LocalExecutor {
    fn drop(&mut self) {
        self.shared.shutdown();
    }
}

impl fmt::Debug for LocalExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalExecutor").finish_non_exhaustive()
    }
}
