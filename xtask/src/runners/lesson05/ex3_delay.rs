//! Exercise 3: `block_on(DelayFuture::new(2 s, "hello from the future!"))`.
//!
//! The message must arrive no earlier than the delay and only a little later, and the
//! process must spend almost no CPU meanwhile: proof that the thread slept rather than
//! polled.
//!
//! Measures: `output`, `elapsed`, `process_cpu` (every thread of the process, timer threads
//! included, during the call).

use std::future::Future;
use std::time::Duration;

use crate::measure::{CpuScope, Measurements, Value, cpu_during};
use crate::runners::{BlockOn, Ctx, Outcome, ours};

/// Blocks on `delay(delay_ms, message)` with `imp`. Parameters: `delay_ms`, `message`.
pub fn measure<B, D>(imp: &B, delay: impl FnOnce(Duration, String) -> D, ctx: &Ctx) -> Measurements
where
    B: BlockOn,
    D: Future<Output = String>,
{
    let future = delay(ctx.millis("delay_ms"), ctx.text("message"));
    let start = timers::now();
    let (output, cpu) = cpu_during(CpuScope::Process, || imp.block_on(future));
    let elapsed = timers::now() - start;
    let mut m = Measurements::new();
    m.set("output", Value::Text(output));
    m.set("elapsed", Value::Duration(elapsed));
    m.set("process_cpu", Value::Duration(cpu));
    m
}

/// The registry entry: exercise 3 on `block_on` and `timers::DelayFuture`.
pub fn run(ctx: &Ctx) -> Outcome {
    Outcome::Measured(measure(&ours::OurBlockOn, ours::delay, ctx))
}
