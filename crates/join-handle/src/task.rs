//! The executor's side of the contract: [`Schedule`], [`Runnable`], [`TaskRef`], and the
//! functions that make a task ([`spawn`], [`spawn_local`]).

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::ptr::NonNull;
use std::thread;

use crate::cell::{Anywhere, Cell, JoinTarget, OwnedBy, RawTask, RunEnd};
use crate::handle::JoinHandle;
use crate::meta::Meta;
use crate::ptr::TaskPtr;
use crate::{TaskId, TaskSnapshot};

/// What an executor provides to its tasks: where to queue a woken task, and (optionally) a
/// hook told when a task first waits and when it completes.
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

    /// Tells the executor about a task's life, so that it can keep its own index of tasks
    /// (to cancel idle ones when it is dropped, to list them, to count them). See
    /// [`TaskEvent`] for when each event comes. The default does nothing.
    ///
    /// The hook runs on the thread that polled or completed the task, and must not poll,
    /// run or cancel tasks itself.
    fn task_event(&self, task: &TaskRef, event: TaskEvent) {
        let _ = (task, event);
    }

    /// Called on the polling thread right before each poll of the task's future, and
    /// [`after_poll`](Schedule::after_poll) right after it (also when the poll panicked): for
    /// per-poll accounting such as timing. Not called around the drop of a cancelled future.
    /// The defaults do nothing and compile to nothing.
    ///
    /// Both run inside [`Runnable::run`], outside the guard that catches the future's panics:
    /// they must not panic, and like `task_event` they must not poll, run or cancel tasks. (A
    /// panic there unwinds out of `run` and leaves the task unfinished for good: its handle
    /// never resolves, and the future is dropped only with the task's last reference.)
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
    /// use join_handle::{Runnable, Schedule};
    ///
    /// #[derive(Default)]
    /// struct Polls { started: AtomicUsize, ended: AtomicUsize }
    /// impl Schedule for &'static Polls {
    ///     fn schedule(&self, _: Runnable) {}
    ///     fn before_poll(&self) {
    ///         self.started.fetch_add(1, Relaxed);
    ///     }
    ///     fn after_poll(&self) {
    ///         self.ended.fetch_add(1, Relaxed);
    ///     }
    /// }
    ///
    /// let polls: &'static Polls = Box::leak(Box::default());
    /// let (runnable, _handle) = join_handle::spawn(async { panic!("counted too") }, polls);
    /// runnable.run();
    /// assert_eq!((polls.started.load(Relaxed), polls.ended.load(Relaxed)), (1, 1));
    /// ```
    #[inline]
    fn before_poll(&self) {}

    /// Called right after each poll of the task's future; see
    /// [`before_poll`](Schedule::before_poll), whose example shows both.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// struct Quiet;
    /// impl Schedule for Quiet {
    ///     fn schedule(&self, _: Runnable) {}
    /// }
    /// Quiet.after_poll(); // the default does nothing
    /// ```
    #[inline]
    fn after_poll(&self) {}
}

/// What [`Schedule::task_event`] reports.
///
/// ```
/// use std::sync::Mutex;
/// use join_handle::{Outcome, Runnable, Schedule, TaskEvent, TaskRef};
///
/// #[derive(Default)]
/// struct Log(Mutex<Vec<TaskEvent>>);
/// impl Schedule for &'static Log {
///     fn schedule(&self, _: Runnable) {}
///     fn task_event(&self, _: &TaskRef, event: TaskEvent) {
///         self.0.lock().unwrap().push(event);
///     }
/// }
///
/// let log: &'static Log = Box::leak(Box::default());
/// let (runnable, handle) = join_handle::spawn(std::future::pending::<()>(), log);
/// runnable.run();
/// handle.abort();
/// assert_eq!(
///     *log.0.lock().unwrap(),
///     [
///         TaskEvent::FirstPending,
///         TaskEvent::Completed { pended: true, outcome: Outcome::Cancelled }
///     ]
/// );
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskEvent {
    /// A poll of the task returned `Pending` for the first time: from now on it may sit idle,
    /// referenced only by wakers. Reported at most once per task, by the thread that polled
    /// it, before the task can be woken, run or completed anywhere else. A task that finishes
    /// in its first poll never reports it.
    FirstPending,
    /// The task has completed (output stored, panicked, or cancelled) and its future has been
    /// dropped. Reported exactly once per task, on whichever thread completed it. `pended`
    /// says whether [`FirstPending`](TaskEvent::FirstPending) was reported before.
    Completed {
        /// Whether `FirstPending` was reported for this task.
        pended: bool,
        /// How it ended.
        outcome: Outcome,
    },
}

/// How a task ended: reported with [`TaskEvent::Completed`].
///
/// ```
/// use join_handle::Outcome;
/// assert_ne!(Outcome::Output, Outcome::Cancelled);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The future returned its output.
    Output,
    /// The future panicked (in `poll`, or in its destructor).
    Panicked,
    /// The task was aborted, or shut down by its executor, before it finished.
    Cancelled,
}

/// The right to poll a task once. An executor's run queue holds these.
///
/// ```
/// use join_handle::{Runnable, Schedule};
/// struct Nothing;
/// impl Schedule for Nothing {
///     fn schedule(&self, _: Runnable) {}
///    
/// }
/// let (runnable, handle) = join_handle::spawn(async { "done" }, Nothing);
/// assert!(!handle.is_finished());
/// runnable.run();
/// assert!(handle.is_finished());
/// ```
pub struct Runnable {
    task: TaskPtr<dyn RawTask>,
}

impl Runnable {
    pub(crate) fn new(task: TaskPtr<dyn RawTask>) -> Runnable {
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
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, handle) = join_handle::spawn(async { panic!("caught") }, Nothing);
    /// runnable.run(); // does not unwind
    /// assert!(block_on::block_on(handle.try_join()).unwrap_err().is_panic());
    /// ```
    #[inline]
    pub fn run(self) {
        // The run gives our reference up as its last step; if anything unwinds before that
        // (the scheduler's own `schedule` or `task_event`), `self` still drops it.
        match self.task.run() {
            RunEnd::Released => {
                let _ = self.task.into_raw();
            }
            RunEnd::Free => {
                let task = self.task.into_raw();
                // SAFETY: the run dropped the last reference, ours; nobody else has one.
                unsafe { TaskPtr::free(task) }
            }
            RunEnd::Foreign => refuse_foreign_run(self.task),
        }
    }
    /// Drops the task's future without polling it and completes the task as cancelled (see
    /// [`TaskRef::shutdown`]): what an executor that is being dropped does with the runnables
    /// still in its queue.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
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
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
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
            .field("id", &self.task.id())
            .finish_non_exhaustive()
    }
}

/// A local task was run on a thread other than its owner's: its run queued it again; drop
/// our reference and panic.
#[cold]
#[inline(never)]
fn refuse_foreign_run(task: TaskPtr<dyn RawTask>) -> ! {
    drop(task);
    panic!("a local task was run on a thread other than its owner's");
}

/// A counted reference to a task, kept by an executor (see [`Schedule::task_event`]) so that
/// it can list its tasks and cancel every idle one when it is dropped.
///
/// Two `TaskRef`s are equal when they refer to the same task; they hash by the task's address
/// (one `usize`, read without touching the task), which stays the same while the task lives.
///
/// ```
/// # use join_handle::{Runnable, Schedule};
/// # struct Nothing;
/// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
/// let (runnable, handle) = join_handle::spawn(std::future::pending::<()>(), Nothing);
/// let task = runnable.task_ref();
/// drop(runnable);
/// task.shutdown(); // drops the future unpolled
/// assert!(block_on::block_on(handle.try_join()).unwrap_err().is_cancelled());
/// ```
#[derive(Clone)]
pub struct TaskRef {
    task: TaskPtr<dyn RawTask>,
}

impl TaskRef {
    /// The task's id (the same as its handle's [`JoinHandle::id`]).
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, handle) = join_handle::spawn(async {}, Nothing);
    /// assert_eq!(runnable.task_ref().id(), handle.id());
    /// ```
    pub fn id(&self) -> TaskId {
        self.task.id()
    }

    /// True once the task's result is decided and its future dropped.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// let task = runnable.task_ref();
    /// assert!(!task.is_complete());
    /// runnable.run();
    /// assert!(task.is_complete());
    /// ```
    pub fn is_complete(&self) -> bool {
        self.task.is_complete()
    }

    /// Reads the task's id, name, spawn location, state and poll count, and decides whether
    /// it is lost, without polling it, locking anything or waiting for its runner.
    ///
    /// The lost check counts this `TaskRef` (and the join handle, while it is alive) as the
    /// runtime's only references: call it on the one `TaskRef` an executor keeps, not on an
    /// extra clone (an extra clone makes a lost task look not lost, never the reverse). See
    /// [`TaskSnapshot::is_lost`].
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule, TaskState};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// let task = runnable.task_ref();
    /// let before = task.snapshot();
    /// assert_eq!((before.state(), before.polls()), (TaskState::Scheduled, 0));
    /// ```
    pub fn snapshot(&self) -> TaskSnapshot {
        self.task.snapshot()
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
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, handle) = join_handle::spawn(async { 1 }, Nothing);
    /// runnable.task_ref().shutdown();
    /// assert!(handle.is_finished());
    /// ```
    pub fn shutdown(&self) {
        self.task.shutdown();
    }
}

impl TaskRef {
    pub(crate) fn new(task: TaskPtr<dyn RawTask>) -> TaskRef {
        TaskRef { task }
    }
}

impl PartialEq for TaskRef {
    /// Same task, same cell: compared by address, which for two live references is the same
    /// as comparing ids (and costs no call through the task's vtable).
    #[inline]
    fn eq(&self, other: &TaskRef) -> bool {
        self.task.addr() == other.task.addr()
    }
}

impl Eq for TaskRef {}

impl std::hash::Hash for TaskRef {
    /// Consistent with `Eq` (which compares addresses too), and cheap for a hash table that
    /// grows: rehashing reads no task.
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.task.addr());
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskRef")
            .field("id", &self.task.id())
            .field("complete", &self.task.is_complete())
            .finish()
    }
}

/// Options for a new task: its name, and the spawn location it records.
///
/// [`spawn`] and [`spawn_local`] record their caller's location and no name; use a `Builder`
/// to name a task, or to pass on a location from further up (an executor's own `spawn`
/// methods, which are `#[track_caller]`, do that).
///
/// ```
/// # use join_handle::{Runnable, Schedule};
/// # struct Nothing;
/// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
/// let (runnable, _handle) = join_handle::Builder::new()
///     .name("ticker")
///     .spawn(async {}, Nothing);
/// assert_eq!(runnable.task_ref().snapshot().name(), Some("ticker"));
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    name: Option<String>,
    location: &'static Location<'static>,
}

impl Builder {
    /// Options with no name, recording the caller's location.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let line = line!() + 1;
    /// let (runnable, _h) = join_handle::Builder::new().spawn(async {}, Nothing);
    /// assert_eq!(runnable.task_ref().snapshot().spawned_at().line(), line);
    /// ```
    #[track_caller]
    #[allow(clippy::new_without_default)] // `Default` cannot be `#[track_caller]`
    pub fn new() -> Builder {
        Builder {
            name: None,
            location: Location::caller(),
        }
    }

    /// Names the task (shown in snapshots and dumps).
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (r, _h) = join_handle::Builder::new().name("db").spawn(async {}, Nothing);
    /// assert_eq!(r.task_ref().snapshot().name(), Some("db"));
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into());
        self
    }

    /// Records `location` as where the task was spawned, instead of the `new` call's.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let here = std::panic::Location::caller();
    /// let (r, _h) = join_handle::Builder::new().location(here).spawn(async {}, Nothing);
    /// assert_eq!(r.task_ref().snapshot().spawned_at(), here);
    /// ```
    pub fn location(mut self, location: &'static Location<'static>) -> Builder {
        self.location = location;
        self
    }

    /// [`spawn`] with these options.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, handle) = join_handle::Builder::new().spawn(async { 1 }, Nothing);
    /// runnable.run();
    /// assert_eq!(block_on::block_on(handle), 1);
    /// ```
    #[inline(always)]
    pub fn spawn<F, S>(self, future: F, scheduler: S) -> (Runnable, JoinHandle<F::Output>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        S: Schedule,
    {
        let meta = Meta::new(self.location, self.name);
        let cell = Cell::new(future, scheduler, Anywhere, meta);
        let (runnable, handle): (NonNull<dyn RawTask>, NonNull<dyn JoinTarget<F::Output>>) =
            (cell, cell);
        // SAFETY: a new cell comes with two references: one for each.
        unsafe {
            (
                Runnable::new(TaskPtr::from_raw(runnable)),
                JoinHandle::new(TaskPtr::from_raw(handle)),
            )
        }
    }

    /// [`spawn_local`] with these options.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let rc = std::rc::Rc::new(2);
    /// let (runnable, handle) =
    ///     join_handle::Builder::new().name("local").spawn_local(async move { *rc }, Nothing);
    /// runnable.run();
    /// assert_eq!(block_on::block_on(handle), 2);
    /// ```
    #[inline(always)]
    pub fn spawn_local<F, S>(self, future: F, scheduler: S) -> (Runnable, JoinHandle<F::Output>)
    where
        F: Future + 'static,
        F::Output: 'static,
        S: Schedule,
    {
        let meta = Meta::new(self.location, self.name);
        let cell = Cell::new(future, scheduler, OwnedBy(thread::current().id()), meta);
        let (runnable, handle): (NonNull<dyn RawTask>, NonNull<dyn JoinTarget<F::Output>>) =
            (cell, cell);
        // SAFETY: a new cell comes with two references: one for each.
        unsafe {
            (
                Runnable::new(TaskPtr::from_raw(runnable)),
                JoinHandle::new(TaskPtr::from_raw(handle)),
            )
        }
    }
}

/// Makes a task of `future`, to be queued on `scheduler`: one allocation.
///
/// Returns the first [`Runnable`] (the caller queues it, or runs it) and the task's
/// [`JoinHandle`]. The task records the caller's location as where it was spawned; see
/// [`Builder`] to name it.
///
/// ```
/// # use join_handle::{Runnable, Schedule};
/// # struct Nothing;
/// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
/// let (runnable, handle) = join_handle::spawn(async { 42 }, Nothing);
/// runnable.run();
/// assert_eq!(block_on::block_on(handle), 42);
/// ```
#[track_caller]
pub fn spawn<F, S>(future: F, scheduler: S) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    Builder::new().spawn(future, scheduler)
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
/// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
/// let shared = Rc::new(5);
/// let (runnable, handle) = join_handle::spawn_local(async move { *shared + 1 }, Nothing);
/// runnable.run();
/// assert_eq!(block_on::block_on(handle), 6);
/// ```
#[track_caller]
pub fn spawn_local<F, S>(future: F, scheduler: S) -> (Runnable, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    Builder::new().spawn_local(future, scheduler)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::HashSet;

    struct Nothing;
    impl Schedule for Nothing {
        fn schedule(&self, _: Runnable) {}
    }

    #[test]
    fn task_refs_are_equal_exactly_when_they_refer_to_one_task() {
        let (a, _ha) = spawn(async {}, Nothing);
        let (b, _hb) = spawn(async {}, Nothing);
        let (a1, a2, b1) = (a.task_ref(), a.task_ref(), b.task_ref());
        assert!(a1 == a2, "two references to one task");
        assert!(a1 != b1, "two tasks");
        let set: HashSet<TaskRef> = [a1.clone(), a2, b1.clone()].into_iter().collect();
        assert_eq!(set.len(), 2, "equal references hash alike");
        assert!(set.contains(&a.task_ref()) && set.contains(&b1));
    }
}
