//! The executor's seeded chaos test (`crates/executor/tests/chaos.rs`: tasks that sleep, time
//! out, take timers registered by short-lived threads, wait for foreign wakes, block, panic;
//! executors dropped mid-way) in a process whose reactor exists before the first timer, so
//! that every timer is folded into the reactor's waits: fired by a runner waiting in the
//! poller, by a busy runner's non-blocking turn, or by the reactor's fallback thread.
//!
//! In the chaos itself a lost timer wake hides (a foreign thread wakes tasks all along, and a
//! dropped executor cancels what still waits), so after the seeds come sleeps that are each
//! the only thing going on (`common::lone_sleeps`): those hang if the fold misses a timer.
//!
//! `cargo test -p reactor --test chaos_folded` runs the CI seeds; `CHAOS_SEED=<seed>` replays
//! one. No test harness (see `Cargo.toml`): the reactor is made here, before any seed runs.

#[path = "../../executor/tests/chaos.rs"]
mod chaos;
mod common;

use std::time::Duration;

/// Lone sleeps after the seeds, with a runner and then without.
const LONE_SLEEPS: u64 = 1_000;
/// Only turns a hang into a failure.
const HANG: Duration = Duration::from_secs(60);

fn main() {
    // Made first and kept: the idle driver is installed, so the timers' driver, made by the
    // first seed's first timer, is folded into the reactor's waits.
    let _reactor = reactor::TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
    match std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => chaos::run_seeds(std::iter::once(seed)),
        None => chaos::run_seeds(1..=chaos::CI_SEEDS),
    }
    testkit::within(HANG, || {
        common::lone_sleeps(true, LONE_SLEEPS, 1);
        common::lone_sleeps(false, LONE_SLEEPS, 2);
    });
    let timer_thread = testkit::thread_names()
        .iter()
        .any(|name| name == "timers-driver");
    assert!(
        !timer_thread,
        "the timers ran on their own thread, not folded"
    );
    println!("chaos_folded: ok");
}
