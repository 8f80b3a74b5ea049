//! Exercise 4: delays of 3 s, 1 s and 2 s spawned together on the executor.
//!
//! They must complete fast, medium, slow, each at its own delay, all within about the
//! longest delay (concurrent), not the sum (sequential), with the process nearly idle.
//!
//! Measures: `order`, `total` (wall time of `run`), `at.<label>` (when each completed,
//! from just before the spawns), `process_cpu`.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::measure::{CpuScope, Measurements, Value, cpu_during};
use crate::runners::{Ctx, Spawner, ours};

/// Spawns `delay(delays_ms[i], labels[i])` for each i on `imp`, then runs it.
pub fn measure<S, D>(imp: &S, delay: impl Fn(Duration, String) -> D, ctx: &Ctx) -> Measurements
where
    S: Spawner,
    D: Future<Output = String> + Send + 'static,
{
    let delays = ctx.millis_list("delays_ms");
    let labels = ctx.texts("labels");
    assert_eq!(delays.len(), labels.len(), "one label per delay");
    let done: Arc<Mutex<Vec<(String, Duration)>>> = Arc::default();
    let start = timers::now();
    for (d, label) in delays.into_iter().zip(labels) {
        let (future, done) = (delay(d, label), done.clone());
        imp.spawn_task(Box::pin(async move {
            let message = future.await;
            let at = timers::now() - start;
            done.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((message, at));
        }));
    }
    let ((), cpu) = cpu_during(CpuScope::Process, || imp.run());
    let total = timers::now() - start;
    let done = done.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let mut m = Measurements::new();
    m.set(
        "order",
        Value::List(done.iter().map(|(label, _)| label.clone()).collect()),
    );
    m.set("total", Value::Duration(total));
    for (label, at) in &done {
        m.set(&format!("at.{label}"), Value::Duration(*at));
    }
    m.set("process_cpu", Value::Duration(cpu));
    m
}

/// The registry entry: exercise 4 on `executor::Executor` and `timers::DelayFuture`.
pub fn run(ctx: &Ctx) -> Measurements {
    measure(&ours::OurExecutor::default(), ours::delay, ctx)
}
