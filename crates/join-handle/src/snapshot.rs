//! [`TaskSnapshot`] and [`TaskState`]: what a task looks like from outside, read without
//! polling it, locking anything, or waiting for whoever runs it.
//!
//! A snapshot is a handful of loads: the state word (one atomic load), the id and metadata
//! (written once at spawn), and the cell's reference count. Fields may be stale by the time
//! they are read, never torn: the state and the poll count come from one load.
//!
//! # The lost-task check
//!
//! A task's wakers are counted references to its cell. A task that is idle (not queued, not
//! running, not finished) can only run again if a waker wakes it, and every waker is a
//! reference. So when the only references left are the runtime's own (the [`TaskRef`] the
//! snapshot is taken through, and the join handle if it is alive), no waker exists anywhere and
//! none can be made (only a poll makes new wakers): the task can never run again. This is
//! exact, with no bookkeeping per waker clone. A waker being dropped concurrently can only make
//! a lost task look not lost for an instant, never the reverse.
//!
//! [`TaskRef`]: crate::TaskRef

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::TaskId;

/// Where a task is in its life, as seen by a snapshot.
///
/// ```
/// use join_handle::{Runnable, Schedule, TaskState};
/// # struct Nothing;
/// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
/// let (runnable, _handle) = join_handle::spawn(async {}, Nothing);
/// let task = runnable.task_ref();
/// assert_eq!(task.snapshot().state(), TaskState::Scheduled);
/// runnable.run();
/// assert_eq!(task.snapshot().state(), TaskState::Finished);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// In a run queue (or woken during its poll, and queued again after it).
    Scheduled,
    /// Being polled (or its future being dropped) right now.
    Running,
    /// Waiting for a wake.
    Idle,
    /// Done (output, panic or cancellation); its handle has not taken the result yet.
    Finished,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Idle => "idle",
            TaskState::Finished => "finished",
        })
    }
}

/// One task, as read at one moment by [`TaskRef::snapshot`](crate::TaskRef::snapshot).
///
/// ```
/// use join_handle::{Runnable, Schedule, TaskState};
/// # struct Nothing;
/// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
/// let (runnable, handle) = join_handle::Builder::new()
///     .name("worker")
///     .spawn(std::future::pending::<()>(), Nothing);
/// let task = runnable.task_ref();
/// runnable.run(); // polled once; its waker was dropped: nothing can wake it
/// let snap = task.snapshot();
/// assert_eq!(snap.id(), handle.id());
/// assert_eq!(snap.name(), Some("worker"));
/// assert_eq!(snap.spawned_at().file(), file!());
/// assert_eq!(snap.state(), TaskState::Idle);
/// assert_eq!(snap.polls(), 1);
/// assert!(snap.is_lost());
/// ```
#[derive(Clone)]
pub struct TaskSnapshot {
    pub(crate) id: TaskId,
    pub(crate) name: Option<String>,
    pub(crate) spawned_at: &'static Location<'static>,
    pub(crate) state: TaskState,
    pub(crate) polls: u64,
    pub(crate) self_wake_streak: u64,
    pub(crate) lost: bool,
    /// Time in poll and time queued, if the executor measures them.
    pub(crate) times: Option<TaskTimes>,
}

/// Time a task spent being polled and waiting in a run queue, as measured by its executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TaskTimes {
    in_poll: Duration,
    queued: Duration,
}

impl TaskSnapshot {
    /// The task's id.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, handle) = join_handle::spawn(async {}, Nothing);
    /// assert_eq!(runnable.task_ref().snapshot().id(), handle.id());
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The name given at spawn, if any.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// assert_eq!(runnable.task_ref().snapshot().name(), None);
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The source location of the spawn call.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let line = line!() + 1;
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// assert_eq!(runnable.task_ref().snapshot().spawned_at().line(), line);
    /// ```
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// Where the task was in its life.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule, TaskState};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// assert_eq!(runnable.task_ref().snapshot().state(), TaskState::Scheduled);
    /// ```
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// How many polls of the task started, saturating at 2 097 152 (2²¹: the count shares the
    /// task's state word with its flags and reference count; an abort's drop of the future is
    /// not a poll).
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// let task = runnable.task_ref();
    /// assert_eq!(task.snapshot().polls(), 0);
    /// runnable.run();
    /// assert_eq!(task.snapshot().polls(), 1);
    /// ```
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// How many of the task's latest pending polls in a row were woken while they ran,
    /// saturating at 2 048; zero after any pending poll that was not. A task that wakes itself
    /// (`yield_now`, or a busy loop on its own waker) raises it on every poll, so a number that
    /// keeps growing is a spinning task. A wake from another thread that lands during a poll
    /// counts too (it is read from the state word at no extra cost, without asking who woke
    /// the task), so a streak of a few is normal for a busy task; thousands are not.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// use std::task::Poll;
    /// let (runnable, _h) = join_handle::spawn(
    ///     std::future::poll_fn(|cx| {
    ///         cx.waker().wake_by_ref(); // spins
    ///         Poll::<()>::Pending
    ///     }),
    ///     Nothing,
    /// );
    /// let task = runnable.task_ref();
    /// runnable.run();
    /// assert_eq!(task.snapshot().self_wake_streak(), 1);
    /// ```
    pub fn self_wake_streak(&self) -> u64 {
        self.self_wake_streak
    }

    /// True if the task is idle, not scheduled, and no waker for it exists outside the
    /// runtime's own references: it can never run again. Exact, because every waker is a
    /// counted reference to the task: see [`TaskRef::snapshot`](crate::TaskRef::snapshot)
    /// for which references count as the runtime's own.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// let (runnable, _h) = join_handle::spawn(std::future::pending::<()>(), Nothing);
    /// let task = runnable.task_ref();
    /// assert!(!task.snapshot().is_lost(), "queued: it will run");
    /// runnable.run();
    /// assert!(task.snapshot().is_lost(), "pending() keeps no waker");
    /// ```
    pub fn is_lost(&self) -> bool {
        self.lost
    }

    /// Total time the task has spent being polled (its current poll included, up to the
    /// moment of the snapshot), or `None` if its executor does not measure time (the default:
    /// see the executor's `task_timing` option).
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// use std::time::Duration;
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// let snap = runnable.task_ref().snapshot();
    /// assert_eq!(snap.time_in_poll(), None, "this crate measures no time itself");
    /// let snap = snap.with_times(Duration::from_millis(3), Duration::from_millis(1));
    /// assert_eq!(snap.time_in_poll(), Some(Duration::from_millis(3)));
    /// ```
    pub fn time_in_poll(&self) -> Option<Duration> {
        self.times.map(|t| t.in_poll)
    }

    /// Total time the task has spent scheduled but waiting for a runner (in a run queue,
    /// its current wait included), or `None` if its executor does not measure time.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// use std::time::Duration;
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// let snap = runnable.task_ref().snapshot().with_times(Duration::ZERO, Duration::from_micros(7));
    /// assert_eq!(snap.time_queued(), Some(Duration::from_micros(7)));
    /// ```
    pub fn time_queued(&self) -> Option<Duration> {
        self.times.map(|t| t.queued)
    }

    /// The snapshot with the times an executor measured for the task attached: what
    /// [`time_in_poll`](TaskSnapshot::time_in_poll) and
    /// [`time_queued`](TaskSnapshot::time_queued) return. The task cell keeps no clock (it
    /// would cost every task clock reads), so an executor that measures time adds them here.
    ///
    /// ```
    /// # use join_handle::{Runnable, Schedule};
    /// # struct Nothing;
    /// # impl Schedule for Nothing { fn schedule(&self, _: Runnable) {} }
    /// use std::time::Duration;
    /// let (runnable, _h) = join_handle::spawn(async {}, Nothing);
    /// let snap = runnable.task_ref().snapshot().with_times(Duration::from_secs(1), Duration::ZERO);
    /// assert_eq!((snap.time_in_poll(), snap.time_queued()), (Some(Duration::from_secs(1)), Some(Duration::ZERO)));
    /// ```
    #[must_use]
    pub fn with_times(mut self, in_poll: Duration, queued: Duration) -> TaskSnapshot {
        self.times = Some(TaskTimes { in_poll, queued });
        self
    }
}

impl fmt::Debug for TaskSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSnapshot")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("spawned_at", &format_args!("{}", self.spawned_at))
            .field("state", &self.state)
            .field("polls", &self.polls)
            .field("self_wake_streak", &self.self_wake_streak)
            .field("lost", &self.lost)
            .field("time_in_poll", &self.time_in_poll())
            .field("time_queued", &self.time_queued())
            .finish()
    }
}
