//! Opt-in callbacks on an executor's tasks: [`Builder::on_task_spawn`] and
//! [`Builder::on_task_terminate`].
//!
//! Off by default. When off, each costs one test of an `Option` that is always `None` (per
//! spawn, per completion); when on, a spawn also reads a snapshot of the new task (a reference
//! count increment and a few loads) and calls the closure; a completion calls the closure
//! with the task's id and outcome. Closures run on whichever thread spawned or completed the
//! task; a panic in one is caught and ignored, so it cannot take a runner down.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use join_handle::{Outcome, TaskId, TaskSnapshot};

use crate::Builder;
use crate::timing::Timings;

/// A callback on a new task.
type OnSpawn = Arc<dyn Fn(&TaskSnapshot) + Send + Sync>;
/// A callback on a finished task.
type OnTerminate = Arc<dyn Fn(TaskId, Outcome) + Send + Sync>;

/// The callbacks an executor was built with.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    on_spawn: Option<OnSpawn>,
    on_terminate: Option<OnTerminate>,
    /// Every task enters the registry at spawn, not only when it first waits (the monitor
    /// thread is on and must see tasks stuck in their first poll).
    pub(crate) index_at_spawn: bool,
    /// The clocks of the tasks, when timing is on (made by `build`, one table per executor).
    pub(crate) timings: Option<Arc<Timings>>,
}

impl Hooks {
    #[inline]
    pub(crate) fn spawned(&self, task: impl FnOnce() -> TaskSnapshot) {
        if let Some(f) = &self.on_spawn {
            let mut snapshot = task();
            if let Some(timings) = &self.timings {
                snapshot = timings.attach(snapshot);
            }
            let _ = catch_unwind(AssertUnwindSafe(|| f(&snapshot)));
        }
    }

    #[inline]
    pub(crate) fn terminated(&self, id: impl FnOnce() -> TaskId, outcome: Outcome) {
        if let Some(f) = &self.on_terminate {
            let id = id();
            let _ = catch_unwind(AssertUnwindSafe(|| f(id, outcome)));
        }
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("on_spawn", &self.on_spawn.is_some())
            .field("on_terminate", &self.on_terminate.is_some())
            .field("index_at_spawn", &self.index_at_spawn)
            .field("timings", &self.timings.is_some())
            .finish()
    }
}

impl<E> Builder<E> {
    /// Calls `f` with a snapshot of every task spawned on the executor, right after it is
    /// queued (its state is `Scheduled`, its poll count 0).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let names = Arc::new(Mutex::new(Vec::new()));
    /// let seen = names.clone();
    /// let ex = executor::Executor::builder()
    ///     .on_task_spawn(move |task| seen.lock().unwrap().push(task.name().map(String::from)))
    ///     .build();
    /// ex.block_on(ex.task().name("a").spawn(async {}));
    /// assert_eq!(*names.lock().unwrap(), [Some("a".to_string())]);
    /// ```
    pub fn on_task_spawn(mut self, f: impl Fn(&TaskSnapshot) + Send + Sync + 'static) -> Self {
        self.hooks.on_spawn = Some(Arc::new(f));
        self
    }

    /// Calls `f` with the id and [`Outcome`] of every task of the executor that finishes:
    /// completed, panicked or cancelled (aborted, or dropped with the executor).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use executor::Outcome;
    ///
    /// let ends = Arc::new(Mutex::new(Vec::new()));
    /// let seen = ends.clone();
    /// let ex = executor::Executor::builder()
    ///     .on_task_terminate(move |_, outcome| seen.lock().unwrap().push(outcome))
    ///     .build();
    /// let ok = ex.spawn(async {});
    /// let bad = ex.spawn(async { panic!("no") });
    /// ex.run();
    /// assert_eq!(*ends.lock().unwrap(), [Outcome::Output, Outcome::Panicked]);
    /// # drop((ok, bad));
    /// ```
    pub fn on_task_terminate(
        mut self,
        f: impl Fn(TaskId, Outcome) + Send + Sync + 'static,
    ) -> Self {
        self.hooks.on_terminate = Some(Arc::new(f));
        self
    }
}
