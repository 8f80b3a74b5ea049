//! `cargo xtask verify`: run every exercise of every spec and judge what it measured.
//!
//! Each exercise's runner runs on a thread of its own, so a hang becomes a FAIL row after the
//! exercise's time-out instead of hanging CI, and a panic becomes a FAIL row that quotes it.
//! Exercises run one after another, never side by side: CPU-time checks read the whole
//! process's clock and must see only the exercise being measured.

pub mod check;
pub mod table;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::measure::Measurements;
use crate::runners::{self, Ctx, Runner};
use crate::spec::{self, Exercise, Spec};
use check::{Row, Status};

/// How far `--quick` shrinks the exercises' durations: by half, not more, so the scaled
/// delays (0.5 s to 1.5 s) stay well above the lateness a loaded machine adds to a correct
/// timer (over 100 ms seen with two cores and a load average of 16), which the specs'
/// `late_ms` bounds (250 ms) must absorb, and the broken implementations still miss them.
pub const QUICK_SCALE: f64 = 0.5;

/// Options of `cargo xtask verify`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Shrink durations by [`QUICK_SCALE`].
    pub quick: bool,
    /// Run only the exercises whose id equals this, or starts with it followed by `.`, or
    /// belong to the spec with this id.
    pub only: Option<String>,
    /// Also write the rows as JSON to this file.
    pub json: Option<PathBuf>,
    /// Where the specs are.
    pub specs_dir: PathBuf,
    /// Run the exercises that can be simulated under the `sim` crate, on virtual time.
    pub sim: bool,
}

/// The outcome of a verify run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `full` or `quick`, followed by `, simulated` under `--sim`.
    pub mode: &'static str,
    /// The factor durations were scaled by.
    pub scale: f64,
    /// Every row, in spec order.
    pub rows: Vec<Row>,
    /// Wall time of the whole run, in seconds.
    pub seconds: f64,
}

impl Report {
    /// How many rows have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.rows.iter().filter(|r| r.status == status).count()
    }

    /// The one-line summary printed after the table.
    pub fn summary(&self) -> String {
        let (pass, fail) = (self.count(Status::Pass), self.count(Status::Fail));
        let verdict = if fail == 0 { "ok" } else { "FAILED" };
        format!(
            "verify {verdict}: {pass} passed, {fail} failed, {} checks in {:.1} s ({} mode)",
            self.rows.len(),
            self.seconds,
            self.mode
        )
    }
}

/// Whether `ex` (of `spec`) is selected by `--only`.
pub fn selected(only: Option<&str>, spec: &Spec, ex: &Exercise) -> bool {
    match only {
        None => true,
        Some(o) => {
            o == spec.id || o == ex.id || ex.id.strip_prefix(o).is_some_and(|r| r.starts_with('.'))
        }
    }
}

/// Loads the specs and runs the selected exercises with the real runners.
pub fn run(opts: &Options) -> Result<Report, String> {
    let specs = spec::load_dir(&opts.specs_dir)?;
    let scale = if opts.quick { QUICK_SCALE } else { 1.0 };
    let registry = if opts.sim {
        runners::sim_registry()
    } else {
        runners::registry()
    };
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut any = false;
    for spec in &specs {
        for ex in spec
            .exercises
            .iter()
            .filter(|e| selected(opts.only.as_deref(), spec, e))
        {
            any = true;
            match registry.get(ex.runner.as_str()) {
                Some(runner) => rows.extend(run_exercise(ex, *runner, scale)),
                None => rows.push(Row {
                    exercise: ex.id.clone(),
                    what: ex.title.clone(),
                    expected: "a registered runner".into(),
                    measured: format!("no runner `{}`", ex.runner),
                    status: Status::Fail,
                }),
            }
        }
    }
    if !any {
        return Err(format!(
            "--only {:?} selects no exercise",
            opts.only.as_deref().unwrap_or("")
        ));
    }
    let mode = match (opts.quick, opts.sim) {
        (false, false) => "full",
        (true, false) => "quick",
        (false, true) => "full, simulated",
        (true, true) => "quick, simulated",
    };
    Ok(Report {
        mode,
        scale,
        rows,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The scale that applies to `ex`: exercises marked `scaled = false` always run full length.
pub fn effective_scale(ex: &Exercise, scale: f64) -> f64 {
    if ex.scaled { scale } else { 1.0 }
}

/// Runs `runner` for `ex` on its own thread, within the exercise's time-out, and judges it.
pub fn run_exercise(ex: &Exercise, runner: Runner, scale: f64) -> Vec<Row> {
    let scale = effective_scale(ex, scale);
    let ctx = Ctx::new(&ex.id, ex.params.clone(), scale);
    let limit = Duration::from_secs_f64((ex.timeout_s * scale).max(2.0));
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("verify-{}", ex.id))
        .spawn(move || {
            let _ = tx.send(runner(&ctx));
        })
        .expect("spawn a runner thread");
    let outcome = match rx.recv_timeout(limit) {
        Ok(outcome) => {
            let _ = thread.join();
            Ok(outcome)
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Err(check::timeout_text(limit)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(match thread.join() {
            Err(payload) => format!("(runner panicked: {})", panic_message(&*payload)),
            Ok(()) => "(runner sent nothing)".to_owned(),
        }),
    };
    judge_exercise(ex, outcome, scale)
}

/// Turns a runner's outcome (or the reason it has none) into the exercise's rows.
pub fn judge_exercise(
    ex: &Exercise,
    outcome: Result<Measurements, String>,
    scale: f64,
) -> Vec<Row> {
    let row = |what: &str, expected: String, measured: String, status| Row {
        exercise: ex.id.clone(),
        what: what.to_owned(),
        expected,
        measured,
        status,
    };
    match outcome {
        Ok(m) => ex
            .checks
            .iter()
            .map(|c| {
                let (measured, status) = check::judge(c, &m, scale);
                row(
                    &c.what,
                    check::expected_text(&c.rule, scale),
                    measured,
                    status,
                )
            })
            .collect(),
        Err(why) => ex
            .checks
            .iter()
            .map(|c| {
                row(
                    &c.what,
                    check::expected_text(&c.rule, scale),
                    why.clone(),
                    Status::Fail,
                )
            })
            .collect(),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text payload".to_owned()
    }
}

/// Writes `report` as pretty JSON to `path`.
pub fn write_json(report: &Report, path: &std::path::Path) -> Result<(), String> {
    let text = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{Measurements, Value};

    fn exercise(timeout_s: f64) -> Exercise {
        let text = format!(
            r#"
            id = "t"
            title = "t"
            [[exercise]]
            id = "t.1"
            title = "x"
            runner = "r"
            timeout_s = {timeout_s}
            [[exercise.check]]
            what = "n is 3"
            measure = "n"
            equals = 3
            "#
        );
        spec::parse(&text, "test").unwrap().exercises.remove(0)
    }

    #[test]
    fn a_measured_runner_is_judged_per_check() {
        fn three(_: &Ctx) -> Measurements {
            let mut m = Measurements::new();
            m.set("n", Value::Int(3));
            m
        }
        let rows = run_exercise(&exercise(5.0), three, 1.0);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, Status::Pass);
    }

    #[test]
    fn a_panicking_runner_fails_with_its_message() {
        fn boom(_: &Ctx) -> Measurements {
            panic!("kaboom")
        }
        let rows = run_exercise(&exercise(5.0), boom, 1.0);
        assert_eq!(rows[0].status, Status::Fail);
        assert!(rows[0].measured.contains("kaboom"), "{}", rows[0].measured);
    }

    #[test]
    fn a_hanging_runner_fails_after_its_timeout() {
        fn hang(_: &Ctx) -> Measurements {
            std::thread::sleep(Duration::from_secs(30));
            Measurements::new()
        }
        let start = Instant::now();
        let rows = run_exercise(&exercise(0.1), hang, 1.0);
        assert!(start.elapsed() < Duration::from_secs(10));
        assert_eq!(rows[0].status, Status::Fail);
        assert!(rows[0].measured.contains("timed out"));
    }

    #[test]
    fn only_selects_by_id_prefix_or_spec() {
        let spec = spec::parse(
            r#"
            id = "lesson-05"
            title = "t"
            [[exercise]]
            id = "5.1"
            title = "x"
            runner = "r"
            timeout_s = 1
            [[exercise.check]]
            what = "w"
            measure = "m"
            max = 1
            "#,
            "t",
        )
        .unwrap();
        let ex = &spec.exercises[0];
        assert!(selected(None, &spec, ex));
        assert!(selected(Some("5.1"), &spec, ex));
        assert!(selected(Some("5"), &spec, ex));
        assert!(selected(Some("lesson-05"), &spec, ex));
        assert!(!selected(Some("5.2"), &spec, ex));
        assert!(!selected(Some("5.10"), &spec, ex));
    }
}
