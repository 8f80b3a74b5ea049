//! The messages of a run that cannot go on: a deadlock, or a wake from outside.
//!
//! Both name the seed (with the environment variable that replays it under
//! [`check`](fn@crate::check)), the step, the virtual time, and every task still alive: its
//! number in this run (`#n`, the same in every run of the seed), its task id and name, where
//! it was spawned, its state, how often it was polled, and whether no waker is left.

use std::fmt::Write;
use std::time::Duration;

use crate::check::SEED_VAR;
use crate::queue::ForeignWake;
use crate::sim::TaskRecord;

/// "all tasks are blocked forever": no task ready, no timer pending, root not done.
pub(crate) fn deadlock(seed: u64, step: u64, elapsed: Duration, tasks: &[TaskRecord]) -> String {
    let mut out = format!(
        "all tasks are blocked forever: no task is ready, no timer is pending, and the future \
         given to Sim::block_on has not completed\n{}",
        context(seed, step, elapsed)
    );
    dump(&mut out, tasks);
    out.push_str(
        "  (a task waiting on a real thread or real I/O also looks blocked here: the simulator \
         sees only its own tasks and timers)\n",
    );
    out
}

/// A task (or the root future) was woken from a thread other than the simulator's.
pub(crate) fn foreign_wake(
    seed: u64,
    step: u64,
    elapsed: Duration,
    wake: &ForeignWake,
    tasks: &[TaskRecord],
) -> String {
    let who = match wake.task {
        None => "the future given to Sim::block_on".to_owned(),
        Some(id) => match tasks
            .iter()
            .find(|t| t.id == id)
            .and_then(|t| t.task.as_ref())
        {
            Some(task) => {
                let task = task.snapshot();
                format!(
                    "task #{id} (task {}, spawned at {})",
                    task.id(),
                    task.spawned_at()
                )
            }
            None => format!("task #{id}"),
        },
    };
    let mut out = format!(
        "{who} was woken from thread '{}', outside the simulator: a real thread, real I/O or \
         the real timer driver wakes at a moment the seed does not decide, so this run could \
         not be replayed. Keep everything the test waits on inside the simulator (its tasks, \
         timers, and channels between them).\n{}",
        wake.thread,
        context(seed, step, elapsed)
    );
    dump(&mut out, tasks);
    out
}

fn context(seed: u64, step: u64, elapsed: Duration) -> String {
    format!(
        "  seed: {seed} (replay with {SEED_VAR}={seed})\n  step: {step}\n  virtual time: {elapsed:?}\n"
    )
}

fn dump(out: &mut String, tasks: &[TaskRecord]) {
    let alive: Vec<&TaskRecord> = tasks.iter().filter(|t| !t.is_finished()).collect();
    let _ = writeln!(out, "  tasks alive: {}", alive.len());
    for record in alive {
        let _ = write!(out, "    #{}", record.id);
        match &record.task {
            None => {
                let _ = writeln!(out, ": queued, not polled yet");
            }
            Some(task) => {
                let task = task.snapshot();
                let _ = write!(out, ": task {}", task.id());
                if let Some(name) = task.name() {
                    let _ = write!(out, " {name:?}");
                }
                let _ = writeln!(
                    out,
                    ", spawned at {}, {}, polled {} times{}",
                    task.spawned_at(),
                    task.state(),
                    task.polls(),
                    if task.is_lost() {
                        "; no waker left: nothing can ever wake it"
                    } else {
                        ""
                    }
                );
            }
        }
    }
}
