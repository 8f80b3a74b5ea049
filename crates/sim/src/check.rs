//! [`check`]: run a test under many seeds, report the failing one with a command that
//! replays it, and make sure each seed is deterministic.

use std::future::Future;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::sim::Builder;

/// The environment variable that makes [`check`] run one given seed (a replay).
pub const SEED_VAR: &str = "SIM_SEED";

/// Runs `test(seed)` under a [`Sim`](crate::Sim) seeded with `seed`, for every seed in
/// `seeds`; panics at the first failure with the seed and the command line that replays it.
///
/// * A failure is any panic of the test's future (an `assert!`, an `unwrap`, a task's panic
///   that an awaited `JoinHandle` passes on) or of the simulator (a deadlock, a wake from
///   outside it).
/// * The determinism self-check: every seed runs twice, and the two trace hashes
///   ([`Sim::trace_hash`](crate::Sim::trace_hash)) must be equal; a failing seed is re-run and
///   must fail again. Either mismatch panics with a message saying the test is not
///   deterministic (something it depends on is outside the simulator: a real thread, real I/O,
///   `Instant::now()` or a random number in a decision).
/// * With the environment variable `SIM_SEED` set to a number, only that seed runs, whatever
///   `seeds` says: that is how the printed command replays a failure.
///
/// # Panics
///
/// As described, with a message that contains "seed" and the failing seed's number; also if
/// `SIM_SEED` is set but not a number.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// // Passes under every seed: each task adds with one atomic operation.
/// sim::check(0..20, |_seed| async {
///     let counter = Arc::new(AtomicU32::new(0));
///     let tasks: Vec<_> = (0..3)
///         .map(|_| {
///             let counter = counter.clone();
///             executor::spawn(async move {
///                 executor::yield_now().await;
///                 counter.fetch_add(1, Ordering::Relaxed);
///             })
///         })
///         .collect();
///     for task in tasks {
///         task.await;
///     }
///     assert_eq!(counter.load(Ordering::Relaxed), 3);
/// });
/// ```
#[track_caller]
pub fn check<F, Fut>(seeds: Range<u64>, test: F)
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = ()>,
{
    let seeds = match replay_seed() {
        Some(seed) => seed..seed.saturating_add(1),
        None => seeds,
    };
    for seed in seeds {
        match run(seed, &test) {
            Err(message) => {
                let again = match run(seed, &test) {
                    Err(_) => String::new(),
                    Ok(_) => format!(
                        "\nwarning: the same seed passed when run again, so the test is not \
                         deterministic and the replay may pass: {NOT_DETERMINISTIC}"
                    ),
                };
                panic!(
                    "sim::check: the test failed with seed {seed}: {message}\nreplay it with: \
                     {}{again}",
                    replay_command(seed)
                );
            }
            Ok(first) => match run(seed, &test) {
                Ok(second) if second == first => {}
                Ok(second) => panic!(
                    "sim::check: the test is not deterministic: seed {seed} gave trace hash \
                     {first:#018x}, then {second:#018x} when run again; {NOT_DETERMINISTIC}\n\
                     run it again with: {}",
                    replay_command(seed)
                ),
                Err(message) => panic!(
                    "sim::check: the test is not deterministic: seed {seed} passed, then \
                     failed when run again: {message}; {NOT_DETERMINISTIC}\nreplay it with: {}",
                    replay_command(seed)
                ),
            },
        }
    }
}

const NOT_DETERMINISTIC: &str = "something it depends on escapes the simulator (a wake from a \
    real thread, real I/O, Instant::now() or a random number deciding what to do)";

/// Runs one seed; the trace hash, or the panic message.
fn run<F, Fut>(seed: u64, test: &F) -> Result<u64, String>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = ()>,
{
    catch_unwind(AssertUnwindSafe(|| {
        let sim = Builder::new().seed(seed).build();
        sim.block_on(test(seed));
        sim.trace_hash()
    }))
    .map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(a panic with a non-string payload)".to_owned())
    })
}

/// `SIM_SEED`, if set.
fn replay_seed() -> Option<u64> {
    let value = std::env::var(SEED_VAR).ok()?;
    match value.trim().parse() {
        Ok(seed) => Some(seed),
        Err(_) => panic!("sim::check: {SEED_VAR}={value:?} is not a seed: expected a number"),
    }
}

/// `SIM_SEED=<seed> cargo test [-p <package>] <test> -- --exact`: the test's name is the
/// name libtest gives the thread running it.
fn replay_command(seed: u64) -> String {
    let package = std::env::var("CARGO_PKG_NAME")
        .map(|p| format!(" -p {p}"))
        .unwrap_or_default();
    let thread = std::thread::current();
    let test = match thread.name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => "<test name>".to_owned(),
    };
    format!("{SEED_VAR}={seed} cargo test{package} {test} -- --exact")
}
