//! Exercise 3: `block_on(DelayFuture::new(2 s, "hello from the future!"))`.
//!
//! The message must arrive no earlier than the delay and only a little later, and the
//! process must spend almost no CPU meanwhile: proof that the thread slept rather than
//! polled.
//!
//! Measures: `output`, `elapsed`, `polls` (of the delay: a correct `block_on` polls it once to
//! register and once after its one wake-up), `process_cpu` (every thread of the process,
//! timer threads included, during the call).

use std::future::Future;
use std::time::Duration;

use crate::measure::{CpuScope, Measurements, Value, cpu_during};
use crate::runners::counted::Counted;
use crate::runners::{BlockOn, Ctx, ours};

/// Blocks on `delay(delay_ms, message)` with `imp`. Parameters: `delay_ms`, `message`.
pub fn measure<B, D>(imp: &B, delay: impl FnOnce(Duration, String) -> D, ctx: &Ctx) -> Measurements
where
    B: BlockOn,
    D: Future<Output = String>,
{
    let (future, polls) = Counted::new(delay(ctx.millis("delay_ms"), ctx.text("message")));
    let start = timers::now();
    let (output, cpu) = cpu_during(CpuScope::Process, || imp.block_on(future));
    let elapsed = timers::now() - start;
    let mut m = Measurements::new();
    m.set("output", Value::Text(output));
    m.set("elapsed", Value::Duration(elapsed));
    m.set("polls", Value::Int(polls.get()));
    m.set("process_cpu", Value::Duration(cpu));
    m
}

/// The registry entry: exercise 3 on `block_on` and `timers::DelayFuture`.
pub fn run(ctx: &Ctx) -> Measurements {
    measure(&ours::OurBlockOn, ours::delay, ctx)
}
