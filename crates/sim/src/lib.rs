//! Deterministic simulation: run unchanged async code (spawns, yields, sleeps, timeouts,
//! intervals, channels) under seeded schedules and virtual time, and replay the run that
//! failed.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//!
//! // Two tasks race to write first; which one wins depends on the schedule.
//! let winner = |seed| {
//!     let sim = sim::Builder::new().seed(seed).build();
//!     sim.block_on(async {
//!         let first = Arc::new(Mutex::new(None));
//!         let tasks: Vec<_> = ["a", "b"]
//!             .into_iter()
//!             .map(|name| {
//!                 let first = first.clone();
//!                 executor::spawn(async move {
//!                     timers::sleep(Duration::from_secs(1)).await;
//!                     first.lock().unwrap().get_or_insert(name);
//!                 })
//!             })
//!             .collect();
//!         for task in tasks {
//!             task.await;
//!         }
//!         let winner = first.lock().unwrap().unwrap();
//!         winner
//!     })
//! };
//! // The same seed always gives the same winner...
//! assert_eq!(winner(4), winner(4));
//! // ...and some seeds let the other one win.
//! assert!((0..20).any(|seed| winner(seed) != winner(0)));
//! ```
//!
//! # How it works
//!
//! * **One thread, one ready list.** [`Sim::block_on`] polls the root future and the tasks
//!   spawned inside it one at a time on the calling thread. Each step it picks one ready
//!   entry with a generator seeded by [`Builder::seed`] ([`Strategy::Fifo`] picks the oldest).
//!   Wakes go through the tasks' own wakers, so `executor::yield_now` and any channel or
//!   mutex that wakes tasks need nothing special.
//! * **Hooks, not a separate runtime.** While a `Sim` runs, it is entered on its thread in
//!   `executor` (the free `spawn`/`spawn_local` make their tasks with the simulator's
//!   schedule) and in `timers` (its `VirtualClock` stands in for the real clock and the timer
//!   driver). Outside a simulation each hook costs one relaxed load.
//! * **Virtual time.** Time stands still while anything is ready. When nothing is, it jumps to
//!   the earliest pending deadline, and the timers due then wake in an order the seed picks.
//!   A simulated hour takes as long as its polls do.
//! * **Stops instead of hanging.** No task ready and no timer pending before the root future
//!   completes is a deadlock: the run panics with "all tasks are blocked forever", the seed,
//!   the step, the virtual time and the tasks still alive (id, spawn location, polls). A wake
//!   from another thread (a spawned OS thread, real I/O) panics too, naming the woken task.
//! * **Exploring and replaying.** [`check()`] runs a test under a range of seeds, twice each
//!   (the trace hashes must agree), and on a failure prints `SIM_SEED=<seed> cargo test ..`,
//!   which runs just that seed again.
//!
//! # Limits
//!
//! * Only what runs on the simulator's thread through its hooks is simulated: an `Executor`
//!   or `block_on::block_on` inside a simulated task is a real one (and `block_on` on a
//!   simulated timer would wait forever, since time moves only between the simulator's
//!   steps). `executor::spawn_blocking` runs on real threads: awaiting it stops the run with
//!   a report (a deadlock if the simulator runs out of work first, else a wake from outside).
//! * Time does not pass while anything is ready: a task that spins on `yield_now` until a
//!   timer fires spins forever. Await the timer (or a channel) instead.
//! * Timers made before the simulation (`sim.block_on(timers::sleep(d))` builds the sleep
//!   first) measure from the real clock; make them inside.
//!
//! # Where it sits
//!
//! ```text
//! sim ──┬── executor ── join-handle, wakers
//!       └── timers ──── wakers
//! ```

mod check;
mod queue;
mod report;
mod rng;
mod sim;
mod trace;

pub use check::{SEED_VAR, check};
pub use sim::{Builder, Entered, Sim, Strategy};
