//! The executor's side of the contract: [`Schedule`], [`Runnable`], [`TaskRef`], and the
//! functions that make a task ([`spawn`], [`spawn_local`]).

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::thread;

use crate::cell::{Anywhere, Cell, OwnedBy, RawTask};
use crate::handle::JoinHandle;

/// What an executor provides to its tasks: where to queue a woken task, and whom to tell when
/// a task is done.
///
/// ```
/// use std::sync::Mutex;
/// use join_handle::{Runnable, Schedule};
///
/// /// A toy executor: a queue behind a mutex, run by hand.
/// #[derive(Default)]
/// struct Queue(Mutex<Vec<Runnable>>);
///
/// impl Schedule for &'static Queue {
///     fn schedule(&self, runnable: Runnable) {
///         self.0.lock().unwrap().push(runnable);
///     }
///     fn release(&self, _key: usize) {}
/// }
///
/// let queue: &'static Queue = Box::leak(Box::default());
/// let (runnable, handle) = join_handle::spawn(async { 6 * 7 }, queue);
/// runnable.run();
/// assert_eq!(block_on::block_on(handle), 42);
/// ```
pub trait Schedule: Send + Sync + 'static {
    /// Queues a task that is ready to be polled. Called by spawn's caller for the first run,
    /// by wakers, and by the task itself when it was woken during its own poll (that last case
    /// is a yield: queue it behind the others).
    fn schedule(&self, runnable: Runnable);

    /// The task is going idle (pending, not queued) for the first time: an executor that must
    /// cancel idle tasks when it is dropped keeps `task` and gives it a key with
    /// [`TaskRef::set_key`]. Called at most once per task, by the thread that polled it, before
    /// the task can be woken, run or completed anywhere else. Tasks that finish in their first
    /// poll are never registered. The default keeps nothing.
    fn register(&self, task: TaskRef) {
        let _ = task;
    }

    /// The task has completed (output stored, panicked, or cancelled) and its future has been
    /// dropped. Called exactly once per task, on whichever thread completed it. The key is the
    /// one given to [`TaskRef::set_key`], or `usize::MAX` if the task was never registered.
    fn release(&self, key: usize);
}

/// The right to poll a task once. An executor's run queue holds these.
///
/// ```
/// use join_handle::{Runnable, Schedule};
/// struct Nothing;
/// impl Schedule for Nothing {
///     fn schedule(&self, _: Runnable) {}
///     fn release(&self, _: usize) {}
/// }
/// let (runnable, handle) = join_handle::spawn(async { "done" }, Nothing);
/// assert!(!handle.is_finished());
/// runnable.run();
/// assert!(handle.is_finished());
/// ```
pub struct Runnable {
    task: Arc<dyn RawTask>,
}

impl Runnable {
    pub(crate) fn new(task: Arc<dyn RawTask>) -> Runnable {
        Runnable { task }
    }

    /// Polls the task once (or drops its future, if it was aborted).
    ///
    /// A panic in the future is caught and becomes the task's result; it never unwinds into
    /// the caller, and neither does a panic from the future's destructor, from the output's
    /// or a panic payload's destructor, or from the join handle's waker. If the task is woken
    /// during the poll it is queued again through [`Schedule::schedule`].
    ///
    /// # Panics
    ///
    /// Panics if the task was made by [`spawn_local`] and this is not its owner thread. The
    /// task is then left untouched and handed back to [`Schedule::schedule`], so its owner can
    /// still run it or cancel it.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
    /// let (runnable, handle) = join_handle::spawn(async { panic!("caught") }, Nothing);
    /// runnable.run(); // does not unwind
    /// assert!(block_on::block_on(handle.try_join()).unwrap_err().is_panic());
    /// ```
    pub fn run(self) {
        self.task.run();
    }

    /// Drops the task's future without polling it and completes the task as cancelled (see
    /// [`TaskRef::shutdown`]): what an executor that is being dropped does with the runnables
    /// still in its queue.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
    /// let (runnable, handle) = join_handle::spawn(async { 1 }, Nothing);
    /// runnable.shutdown();
    /// assert!(block_on::block_on(handle.try_join()).unwrap_err().is_cancelled());
    /// ```
    pub fn shutdown(self) {
        self.task.shutdown();
    }

    /// A counted reference to the same task.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
    /// let (runnable, _handle) = join_handle::spawn(async {}, Nothing);
    /// let task = runnable.task_ref();
    /// runnable.run();
    /// assert!(task.is_complete());
    /// ```
    pub fn task_ref(&self) -> TaskRef {
        TaskRef {
            task: self.task.clone(),
        }
    }
}

impl fmt::Debug for Runnable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runnable")
            .field("key", &self.task.key())
            .finish_non_exhaustive()
    }
}

/// A counted reference to a task, kept by an executor (see [`Schedule::register`]) so that
/// it can cancel every idle task when it is dropped.
///
/// ```
/// # use join_handle::{Runnable, Schedule};
/// # struct Nothing;
/// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
/// let (runnable, handle) = join_handle::spawn(std::future::pending::<()>(), Nothing);
/// let task = runnable.task_ref();
/// drop(runnable);
/// task.shutdown(); // drops the future unpolled
/// assert!(block_on::block_on(handle.try_join()).unwrap_err().is_cancelled());
/// ```
#[derive(Clone)]
pub struct TaskRef {
    task: Arc<dyn RawTask>,
}

impl TaskRef {
    /// Records the task's key in the executor's registry; [`Schedule::release`] gets it back.
    /// Call it from [`Schedule::register`], before returning.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// runnable.task_ref().set_key(3);
    /// assert_eq!(runnable.task_ref().key(), 3);
    /// ```
    pub fn set_key(&self, key: usize) {
        self.task.set_key(key);
    }

    /// The key given to [`set_key`](TaskRef::set_key), or `usize::MAX`.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// assert_eq!(runnable.task_ref().key(), usize::MAX);
    /// ```
    pub fn key(&self) -> usize {
        self.task.key()
    }

    /// True once the task's result is decided and its future dropped.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// let task = runnable.task_ref();
    /// assert!(!task.is_complete());
    /// runnable.run();
    /// assert!(task.is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        self.task.is_complete()
    }

    /// Cancels the task for an executor that is shutting down: drops its future unpolled and
    /// completes it as cancelled, so its handle reports [`JoinError::is_cancelled`]. Does
    /// nothing if the task is finished, is being polled or dropped elsewhere, or is a local
    /// task and this is not its owner thread.
    ///
    /// [`JoinError::is_cancelled`]: crate::JoinError::is_cancelled
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
    /// let (runnable, handle) = join_handle::spawn(async { 1 }, Nothing);
    /// runnable.task_ref().shutdown();
    /// assert!(handle.is_finished());
    /// ```
    pub fn shutdown(&self) {
        self.task.shutdown();
    }
}

impl TaskRef {
    pub(crate) fn new(task: Arc<dyn RawTask>) -> TaskRef {
        TaskRef { task }
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskRef")
            .field("key", &self.task.key())
            .field("complete", &self.task.is_complete())
            .finish()
    }
}

/// Makes a task of `future`, to be queued on `scheduler`: one allocation.
///
/// Returns the first [`Runnable`] (the caller queues it, or runs it) and the task's
/// [`JoinHandle`].
///
/// ```
/// # use join_handle::{Runnable, Schedule};
/// # struct Nothing;
/// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
/// let (runnable, handle) = join_handle::spawn(async { 42 }, Nothing);
/// runnable.run();
/// assert_eq!(block_on::block_on(handle), 42);
/// ```
pub fn spawn<F, S>(future: F, scheduler: S) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let cell = Cell::new(future, scheduler, Anywhere);
    (Runnable::new(cell.clone()), JoinHandle::new(cell))
}

/// Makes a task of a future that need not be `Send`: it may only be polled (and its future
/// dropped) on the thread that calls `spawn_local`.
///
/// Wakers and the join handle may still be used from any thread: a wake from elsewhere just
/// queues the task, and an abort from elsewhere marks it and queues it so that the owner
/// thread drops the future.
///
/// ```
/// use std::rc::Rc;
/// # use join_handle::{Runnable, Schedule};
/// # struct Nothing;
/// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} fn release(&self, _: usize) {} }
/// let shared = Rc::new(5);
/// let (runnable, handle) = join_handle::spawn_local(async move { *shared + 1 }, Nothing);
/// runnable.run();
/// assert_eq!(block_on::block_on(handle), 6);
/// ```
pub fn spawn_local<F, S>(future: F, scheduler: S) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    let cell = Cell::new(future, scheduler, OwnedBy(thread::current().id()));
    (Runnable::new(cell.clone()), JoinHandle::new(cell))
}
