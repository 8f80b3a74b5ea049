//! Exercise 1: `block_on(CountdownFuture)`.
//!
//! The countdown is woken from another thread after a pause each time, so a correct
//! `block_on` parks between polls: it polls exactly `count + 1` times and its thread burns
//! almost no CPU while waiting. A busy-polling `block_on` gets the same output but extra
//! polls and a busy thread.
//!
//! Measures: `output`, `polls`, `elapsed` (wall time), `thread_cpu` (CPU of the calling
//! thread during the call).

use std::time::Instant;

use crate::measure::{CpuScope, Measurements, Value, cpu_during};
use crate::runners::countdown::{CountdownFuture, Trace, WakeMode};
use crate::runners::{BlockOn, Ctx, ours};

/// Runs the exercise with `imp`. Parameters: `count`, `wake_after_ms`, `message`.
pub fn measure<B: BlockOn>(imp: &B, ctx: &Ctx) -> Measurements {
    let count = u64::try_from(ctx.int("count")).expect("count is not negative");
    let pause = ctx.millis("wake_after_ms");
    let message = ctx.text("message");
    let trace = Trace::new();
    let future = CountdownFuture::new(&message, count, WakeMode::FromThreadAfter(pause), &trace);
    let start = Instant::now();
    let (output, cpu) = cpu_during(CpuScope::Thread, || imp.block_on(future));
    let elapsed = start.elapsed();
    let mut m = Measurements::new();
    m.set("output", Value::Text(output));
    m.set("polls", Value::Int(trace.polls(&message) as i64));
    m.set("elapsed", Value::Duration(elapsed));
    m.set("thread_cpu", Value::Duration(cpu));
    m
}

/// The registry entry: exercise 1 on `block_on::block_on`.
pub fn run(ctx: &Ctx) -> Measurements {
    measure(&ours::OurBlockOn, ctx)
}
