//! Looking at tasks from outside: [`TaskBuilder`] (names), [`task_id`], and [`Dump`].
//!
//! Every task carries its [`TaskId`], spawn location and optional name in its cell, and a
//! saturating poll count in its state word (the `join-handle` crate). A dump reads those for
//! every task in the executor's registry, under the registry's lock, with a few atomic loads
//! per task: it never polls a task, never waits for a runner, and never blocks a runner for
//! longer than the copy takes.
//!
//! What a dump lists: every task that has returned `Pending` at least once and is not finished
//! (the registry). A task still queued for its first poll, or inside its first poll, is not
//! listed yet; a task that can be stuck has waited at least once, so none is missed.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use join_handle::{JoinHandle, TaskId, TaskSnapshot, TaskState};

use crate::shared::Shared;
use crate::{Executor, LocalExecutor};

/// The id of the task being polled on this thread, or `None` outside a task.
///
/// The future given to a `block_on` is not a task, and after a task's poll ends (returns,
/// or panics) the thread is outside it again.
///
/// ```
/// use executor::{Executor, task_id};
///
/// let ex = Executor::new();
/// let handle = ex.spawn(async { task_id() });
/// let id = handle.id();
/// assert_eq!(ex.block_on(async { (task_id(), handle.await) }), (None, Some(id)));
/// ```
pub fn task_id() -> Option<TaskId> {
    TaskId::current()
}

/// Spawns one task with options: see [`Executor::task`].
///
/// ```
/// let ex = executor::Executor::new();
/// let handle = ex.task().name("conn").spawn(std::future::pending::<()>());
/// ex.block_on(executor::yield_now()); // the task runs once and waits
/// let dump = ex.dump();
/// let task = dump.tasks().next().unwrap();
/// assert_eq!((task.id(), task.name()), (handle.id(), Some("conn")));
/// ```
#[derive(Debug)]
#[must_use = "a TaskBuilder does nothing until .spawn() is called"]
pub struct TaskBuilder<'a> {
    shared: &'a Arc<Shared>,
    name: Option<String>,
}

impl TaskBuilder<'_> {
    /// Names the task: the name shows in [`Dump`]s.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let h = ex.task().name("worker").spawn(async { 1 });
    /// assert_eq!(ex.block_on(h), 1);
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Spawns the task, like [`Executor::spawn`]; its spawn location is this call's.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let h = ex.task().spawn(async { "no name" });
    /// assert_eq!(ex.block_on(h), "no name");
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.shared.spawn(future, options(self.name))
    }
}

/// Spawns one task with options on a [`LocalExecutor`]: see [`LocalExecutor::task`].
///
/// ```
/// let ex = executor::LocalExecutor::new();
/// let rc = std::rc::Rc::new(3);
/// let h = ex.task().name("local").spawn(async move { *rc });
/// assert_eq!(ex.block_on(h), 3);
/// ```
#[derive(Debug)]
#[must_use = "a LocalTaskBuilder does nothing until .spawn() is called"]
pub struct LocalTaskBuilder<'a> {
    shared: &'a Arc<Shared>,
    name: Option<String>,
}

impl LocalTaskBuilder<'_> {
    /// Names the task: the name shows in [`Dump`]s.
    ///
    /// ```
    /// let ex = executor::LocalExecutor::new();
    /// let h = ex.task().name("ui").spawn(async { 2 });
    /// assert_eq!(ex.block_on(h), 2);
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Spawns the task, like [`LocalExecutor::spawn`]; its spawn location is this call's.
    ///
    /// ```
    /// let ex = executor::LocalExecutor::new();
    /// let h = ex.task().spawn(async { 4 });
    /// assert_eq!(ex.block_on(h), 4);
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.shared.spawn_local(future, options(self.name))
    }
}

/// The cell's options for a task spawned by the caller's caller.
#[track_caller]
fn options(name: Option<String>) -> join_handle::Builder {
    let options = join_handle::Builder::new().location(Location::caller());
    match name {
        Some(name) => options.name(name),
        None => options,
    }
}

impl Executor {
    /// Starts spawning a task with options (a name).
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let handle = ex.task().name("answer").spawn(async { 42 });
    /// assert_eq!(ex.block_on(handle), 42);
    /// ```
    pub fn task(&self) -> TaskBuilder<'_> {
        TaskBuilder {
            shared: &self.shared,
            name: None,
        }
    }

    /// A snapshot of the executor's waiting tasks: id, name, spawn location, state, poll
    /// count, and whether the task is lost (see [`TaskSnapshot::is_lost`]). It never polls a
    /// task and never waits for a runner, so it returns at once even while a runner is stuck
    /// in a long poll. Lists every task that has waited at least once and is not finished.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// let stuck = ex.spawn(std::future::pending::<()>());
    /// ex.block_on(executor::yield_now());
    /// let dump = ex.dump();
    /// let task = dump.tasks().next().unwrap();
    /// assert_eq!(task.id(), stuck.id());
    /// assert!(task.is_lost(), "pending() keeps no waker: nothing can wake it");
    /// println!("{dump}");
    /// ```
    pub fn dump(&self) -> Dump {
        Dump::of(&self.shared)
    }
}

impl LocalExecutor {
    /// Starts spawning a task with options (a name); see [`Executor::task`].
    ///
    /// ```
    /// let ex = executor::LocalExecutor::new();
    /// let handle = ex.task().name("local").spawn(async { 1 });
    /// assert_eq!(ex.block_on(handle), 1);
    /// ```
    pub fn task(&self) -> LocalTaskBuilder<'_> {
        LocalTaskBuilder {
            shared: &self.shared,
            name: None,
        }
    }

    /// A snapshot of the executor's waiting tasks; see [`Executor::dump`].
    ///
    /// ```
    /// let ex = executor::LocalExecutor::new();
    /// let _waiting = ex.task().name("idle").spawn(std::future::pending::<()>());
    /// ex.block_on(executor::yield_now());
    /// assert_eq!(ex.dump().tasks().next().unwrap().name(), Some("idle"));
    /// ```
    pub fn dump(&self) -> Dump {
        Dump::of(&self.shared)
    }
}

/// A snapshot of an executor's tasks, in id order: [`Executor::dump`].
///
/// `Display` prints a table (one task per line: id, state, polls, lost, then time in poll
/// and time queued if the executor measures them ([`Builder::task_timing`](crate::Builder::task_timing)), name, spawn
/// location); `Debug` prints the structure.
///
/// ```
/// let ex = executor::Executor::new();
/// let _h = ex.task().name("sleeper").spawn(std::future::pending::<()>());
/// ex.block_on(executor::yield_now());
/// let table = ex.dump().to_string();
/// assert!(table.contains("sleeper") && table.contains("LOST"));
/// ```
#[derive(Debug, Clone)]
pub struct Dump {
    tasks: Vec<TaskSnapshot>,
}

impl Dump {
    fn of(shared: &Shared) -> Dump {
        let mut tasks = shared.snapshots();
        tasks.sort_unstable_by_key(TaskSnapshot::id);
        Dump { tasks }
    }

    /// The tasks, in id order.
    ///
    /// ```
    /// let ex = executor::Executor::new();
    /// assert_eq!(ex.dump().tasks().count(), 0);
    /// ```
    pub fn tasks(&self) -> impl Iterator<Item = &TaskSnapshot> {
        self.tasks.iter()
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lost = self.tasks.iter().filter(|t| t.is_lost()).count();
        // Timing columns only from an executor that measures time.
        let timed = self.tasks.iter().any(|t| t.time_in_poll().is_some());
        writeln!(
            f,
            "{} waiting task(s), {lost} lost (idle, and no waker left anywhere)",
            self.tasks.len()
        )?;
        write!(
            f,
            "{:>8}  {:<9}  {:>10}  {:<4}  ",
            "id", "state", "polls", "lost"
        )?;
        if timed {
            write!(f, "{:>10}  {:>10}  ", "in poll", "queued")?;
        }
        writeln!(f, "{:<16}  spawned at", "name")?;
        for t in &self.tasks {
            let state = match t.state() {
                TaskState::Scheduled => "scheduled",
                TaskState::Running => "running",
                TaskState::Idle => "idle",
                TaskState::Finished => "finished",
                _ => "?",
            };
            write!(
                f,
                "{:>8}  {:<9}  {:>10}  {:<4}  ",
                t.id(),
                state,
                t.polls(),
                if t.is_lost() { "LOST" } else { "" },
            )?;
            if timed {
                write!(
                    f,
                    "{:>10}  {:>10}  ",
                    Short(t.time_in_poll()),
                    Short(t.time_queued())
                )?;
            }
            writeln!(f, "{:<16}  {}", t.name().unwrap_or("-"), t.spawned_at())?;
        }
        Ok(())
    }
}

/// A duration in a table cell: one decimal and a unit (`-` if not measured).
struct Short(Option<Duration>);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            // `Duration`'s `Debug` picks the unit (ns, µs, ms, s); padding needs a string.
            Some(d) => f.pad(&format!("{d:.1?}")),
            None => f.pad("-"),
        }
    }
}
