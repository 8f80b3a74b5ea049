//! Runners: the code that performs an exercise and measures it.
//!
//! A runner is a plain function from a [`Ctx`] (the exercise's parameters, already scaled
//! for `--quick`) to the [`Measurements`] it took. It never judges: the spec's checks do. Runners are found
//! by the key a spec's `runner` field names, in [`registry`]; adding a lesson means adding a
//! spec file and registering its runners here.
//!
//! The measuring code of each exercise is generic over the implementation it drives
//! ([`BlockOn`], [`Spawner`], [`Join`]), so tests can hand it a deliberately broken implementation
//! ([`broken`]) and see the rows turn FAIL.

pub mod broken;
pub mod countdown;
pub mod counted;
pub mod lesson05;
pub mod ours;
pub mod responsibilities;
pub mod sim;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::measure::Measurements;

/// A runner: performs one exercise and reports what it measured.
pub type Runner = fn(&Ctx) -> Measurements;

/// Every runner, by the key specs use.
pub fn registry() -> BTreeMap<&'static str, Runner> {
    let entries: [(&'static str, Runner); 7] = [
        ("lesson05.block_on_countdown", lesson05::ex1_block_on::run),
        ("lesson05.executor_countdowns", lesson05::ex2_executor::run),
        ("lesson05.delay_block_on", lesson05::ex3_delay::run),
        ("lesson05.concurrent_delays", lesson05::ex4_concurrent::run),
        ("lesson05.join_handle", lesson05::ex5_join::run),
        (
            "executor.poll_only_when_woken",
            responsibilities::run_poll_only_when_woken,
        ),
        (
            "executor.one_poll_per_wake_batch",
            responsibilities::run_one_poll_per_wake_batch,
        ),
    ];
    entries.into_iter().collect()
}

/// The runners of `cargo xtask verify --sim`: [`registry`], with the exercises that can be
/// simulated run under the simulator ([`sim`]).
pub fn sim_registry() -> BTreeMap<&'static str, Runner> {
    let mut registry = registry();
    registry.extend(sim::runners());
    registry
}

/// A boxed, sendable unit task, as a [`Spawner`] accepts it.
pub type Task = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A way to run one future to completion on the current thread (lesson 5, exercise 1).
pub trait BlockOn: Send + Sync {
    /// Runs `future` to completion and returns its output.
    fn block_on<F: Future>(&self, future: F) -> F::Output;
}

/// A multi-task executor, as lesson 5's exercise 2 builds it: spawn, then run.
pub trait Spawner {
    /// Queues `task`; nothing runs until [`Spawner::run`].
    fn spawn_task(&self, task: Task);
    /// Drives every spawned task on this thread until all have completed.
    fn run(&self);
}

/// The awaiting side's future for a task's output, as a [`Join`] hands it out.
pub type Joined = Pin<Box<dyn Future<Output = i64> + Send + 'static>>;

/// How the awaiting side waits on a task's [`executor::JoinHandle`] (lesson 5, exercise 5).
pub trait Join: Send + Sync {
    /// A future that resolves to the task's output.
    fn join(&self, handle: executor::JoinHandle<i64>) -> Joined;
}

/// An exercise's parameters, with `--quick` scaling applied to durations.
#[derive(Debug, Clone)]
pub struct Ctx {
    id: String,
    params: toml::Table,
    scale: f64,
}

impl Ctx {
    /// Parameters `params` of exercise `id`, durations to be scaled by `scale`.
    pub fn new(id: &str, params: toml::Table, scale: f64) -> Ctx {
        Ctx {
            id: id.to_owned(),
            params,
            scale,
        }
    }

    /// The factor durations are scaled by (1.0 in full mode).
    pub fn scale(&self) -> f64 {
        self.scale
    }

    fn get(&self, name: &str) -> &toml::Value {
        self.params
            .get(name)
            .unwrap_or_else(|| panic!("exercise {}: parameter `{name}` missing", self.id))
    }

    fn bad(&self, name: &str, want: &str) -> ! {
        panic!("exercise {}: parameter `{name}` must be {want}", self.id)
    }

    /// An integer parameter.
    pub fn int(&self, name: &str) -> i64 {
        self.get(name)
            .as_integer()
            .unwrap_or_else(|| self.bad(name, "an integer"))
    }

    /// A text parameter.
    pub fn text(&self, name: &str) -> String {
        match self.get(name).as_str() {
            Some(s) => s.to_owned(),
            None => self.bad(name, "a string"),
        }
    }

    /// A list-of-texts parameter.
    pub fn texts(&self, name: &str) -> Vec<String> {
        let items = self
            .get(name)
            .as_array()
            .unwrap_or_else(|| self.bad(name, "an array"));
        items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| self.bad(name, "strings"))
            })
            .collect()
    }

    /// A list-of-integers parameter.
    pub fn ints(&self, name: &str) -> Vec<i64> {
        let items = self
            .get(name)
            .as_array()
            .unwrap_or_else(|| self.bad(name, "an array"));
        items
            .iter()
            .map(|v| v.as_integer().unwrap_or_else(|| self.bad(name, "integers")))
            .collect()
    }

    /// A duration parameter given in milliseconds, scaled.
    pub fn millis(&self, name: &str) -> Duration {
        let ms = match self.get(name) {
            toml::Value::Integer(n) => *n as f64,
            toml::Value::Float(x) => *x,
            _ => self.bad(name, "a number of milliseconds"),
        };
        Duration::from_secs_f64(ms * self.scale / 1000.0)
    }

    /// A list of durations given in milliseconds, scaled.
    pub fn millis_list(&self, name: &str) -> Vec<Duration> {
        self.ints(name)
            .into_iter()
            .map(|ms| Duration::from_secs_f64(ms as f64 * self.scale / 1000.0))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctx_scales_durations_only() {
        let params: toml::Table = toml::from_str("d = 2000\nn = 3\nds = [10, 20]").unwrap();
        let ctx = Ctx::new("x", params, 0.1);
        assert_eq!(ctx.millis("d"), Duration::from_millis(200));
        assert_eq!(ctx.int("n"), 3);
        assert_eq!(
            ctx.millis_list("ds"),
            [Duration::from_millis(1), Duration::from_millis(2)]
        );
    }

    #[test]
    #[should_panic(expected = "parameter `nope` missing")]
    fn ctx_names_a_missing_parameter() {
        Ctx::new("x", toml::Table::new(), 1.0).int("nope");
    }

    #[test]
    fn every_runner_a_spec_names_is_registered() {
        let registry = registry();
        for spec in crate::spec::load_dir(&crate::spec::default_dir()).unwrap() {
            for ex in spec.exercises {
                assert!(
                    registry.contains_key(ex.runner.as_str()),
                    "no runner {}",
                    ex.runner
                );
            }
        }
    }
}
