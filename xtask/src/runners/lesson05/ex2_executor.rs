//! Exercise 2: three `CountdownFuture`s of different counts on the multi-task executor.
//!
//! The countdowns wake themselves at once, as in the lesson. An executor that re-queues a
//! woken task behind the others polls them round-robin: no task is polled twice in a row
//! while another still waits, they complete in count order, and the total number of polls
//! is the sum of `count + 1`.
//!
//! Measures: `completion_order` (labels are the counts), `longest_streak` (with the poll
//! sequence as a note), `polls` (total).

use std::future::{Future, poll_fn};
use std::pin::Pin;

use crate::measure::{Measurements, Value};
use crate::runners::countdown::{CountdownFuture, Trace, WakeMode};
use crate::runners::{Ctx, Spawner, ours};

/// Spawns one countdown per entry of the `counts` parameter on `imp`, then runs it.
pub fn measure<S: Spawner>(imp: &S, ctx: &Ctx) -> Measurements {
    let trace = Trace::new();
    for count in ctx.ints("counts") {
        let count = u64::try_from(count).expect("counts are not negative");
        let mut future =
            CountdownFuture::new(&count.to_string(), count, WakeMode::Immediately, &trace);
        // Forwarded by hand rather than `.await`ed: an executor that polls a completed task
        // again then shows as an extra poll in the trace instead of an `async` block's panic.
        imp.spawn_task(Box::pin(poll_fn(move |cx| {
            Pin::new(&mut future).poll(cx).map(drop)
        })));
    }
    imp.run();
    let mut m = Measurements::new();
    m.set("completion_order", Value::List(trace.completion_order()));
    let streak = Value::Int(trace.longest_streak() as i64);
    m.set_noted(
        "longest_streak",
        streak,
        format!("polls: {}", trace.poll_sequence()),
    );
    m.set("polls", Value::Int(trace.events().len() as i64));
    m
}

/// The registry entry: exercise 2 on `executor::Executor`.
pub fn run(ctx: &Ctx) -> Measurements {
    measure(&ours::OurExecutor::default(), ctx)
}
