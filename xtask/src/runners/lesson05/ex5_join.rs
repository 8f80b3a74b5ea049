//! Exercise 5: `block_on(executor.spawn(async { 42 })) == 42`.
//!
//! Checked on a single-thread executor after `run()` has driven the task, and on an executor
//! with worker threads, where `block_on` waits on the handle while a worker runs the task:
//! once for a task that is ready at once and once for a task woken from another thread
//! after a pause, so the handle itself must be woken when the task completes.
//!
//! For that late task the awaiting side is watched too: a handle awaited once and woken once
//! is polled exactly twice (a count no machine load changes), and the waiting thread's CPU
//! stays near zero.
//!
//! Measures: `after_run`, `worker_threads`, `late_task` (the values the handles gave),
//! `late_task_elapsed`, `late_task_polls` (polls of the awaiting side) and `late_task_cpu`
//! (CPU of the thread blocked on the handle).

use std::time::Instant;

use executor::Executor;

use crate::measure::{CpuScope, Measurements, Value, cpu_during};
use crate::runners::countdown::{CountdownFuture, Trace, WakeMode};
use crate::runners::counted::Counted;
use crate::runners::{Ctx, Join, ours};

/// Runs the exercise, awaiting each handle the way `join` does. Parameters: `value`,
/// `worker_threads`, `late_after_ms`.
pub fn measure<J: Join>(join: &J, ctx: &Ctx) -> Measurements {
    let value = ctx.int("value");
    let workers = usize::try_from(ctx.int("worker_threads")).expect("a thread count");
    let pause = ctx.millis("late_after_ms");
    let mut m = Measurements::new();

    let single = Executor::new();
    let handle = single.spawn(async move { value });
    single.run();
    m.set(
        "after_run",
        Value::Int(block_on::block_on(join.join(handle))),
    );

    let pool = Executor::builder().worker_threads(workers).build();
    let handle = pool.spawn(async move { value });
    m.set(
        "worker_threads",
        Value::Int(block_on::block_on(join.join(handle))),
    );

    let trace = Trace::new();
    let wait = CountdownFuture::new("late", 1, WakeMode::FromThreadAfter(pause), &trace);
    let start = Instant::now();
    let handle = pool.spawn(async move {
        wait.await;
        value
    });
    let (awaited, polls) = Counted::new(join.join(handle));
    // Awaited on a thread of its own: this thread's `block_on` calls above may have left a
    // wake-up token behind (a handle woken just after it was found ready), which would show
    // as a spurious poll here that says nothing about the handle.
    let (out, cpu) = std::thread::scope(|s| {
        s.spawn(|| cpu_during(CpuScope::Thread, || block_on::block_on(awaited)))
            .join()
            .expect("awaiting the handle does not panic")
    });
    m.set("late_task", Value::Int(out));
    m.set("late_task_elapsed", Value::Duration(start.elapsed()));
    m.set("late_task_polls", Value::Int(polls.get()));
    m.set("late_task_cpu", Value::Duration(cpu));
    m
}

/// The registry entry: exercise 5 on `executor::Executor` and `block_on::block_on`.
pub fn run(ctx: &Ctx) -> Measurements {
    measure(&ours::OurJoin, ctx)
}
