//! Exercise 5: `block_on(executor.spawn(async { 42 })) == 42`.
//!
//! Checked on a single-thread executor after `run()` has driven the task, and on an executor
//! with worker threads, where `block_on` waits on the handle while a worker runs the task:
//! once for a task that is ready at once and once for a task woken from another thread
//! after a pause, so the handle itself must be woken when the task completes.
//!
//! Measures: `after_run`, `worker_threads`, `late_task` (the values the handles gave), and
//! `late_task_elapsed`.

use crate::runners::{Ctx, Outcome};

/// The registry entry: exercise 5 on `executor::Executor` and `block_on::block_on`.
pub fn run(ctx: &Ctx) -> Outcome {
    let _ = ctx;
    crate::runners::ours::not_built("executor")
}
