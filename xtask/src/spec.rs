//! Specs: the data `cargo xtask verify` checks the exercises against.
//!
//! One TOML file per lesson lives in `xtask/specs/`. A spec lists exercises; each exercise
//! names the runner that measures it (see [`crate::runners`]), the parameters that runner
//! reads, a time-out, and the checks that turn the measurements into PASS or FAIL rows.
//!
//! Invariants enforced by [`load_dir`]: exercise ids are unique across all specs, every
//! exercise has at least one check, and every check has exactly one rule.
//!
//! A check also names, in `proved_by`, the deliberately broken implementation (in
//! [`crate::runners::broken`]) that turns it FAIL: the proof that a PASS on that row means
//! something. `xtask/tests/broken.rs` runs every named one against its row.
//!
//! ```toml
//! id = "lesson-05"
//! title = "Lesson 5: a minimal executor"
//!
//! [[exercise]]
//! id = "5.3"
//! title = "block_on(DelayFuture)"
//! runner = "lesson05.delay_block_on"
//! timeout_s = 10
//! params = { delay_ms = 2000, message = "hello from the future!" }
//!
//! [[exercise.check]]
//! what = "wall time until the message"
//! measure = "elapsed"
//! after_s = 2.0          # scaled by --quick
//! late_ms = 50           # never scaled
//! proved_by = "PeriodicBlockOn"
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One lesson's spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Short id, such as `lesson-05`.
    pub id: String,
    /// Human title.
    pub title: String,
    /// Where the exercises come from (informational).
    #[serde(default)]
    pub source: Option<String>,
    /// The exercises, in the order they run and print.
    #[serde(rename = "exercise")]
    pub exercises: Vec<Exercise>,
}

/// One exercise: a runner, its parameters and the checks on what it measures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// Unique id, such as `5.3`; `--only` selects by it.
    pub id: String,
    /// What the exercise does, in the lesson's words.
    pub title: String,
    /// Key of the runner in [`crate::runners::registry`].
    pub runner: String,
    /// Whether `--quick` shrinks this exercise's durations (default: yes).
    #[serde(default = "default_true")]
    pub scaled: bool,
    /// Wall-clock limit for the runner, in seconds, before `--quick` scaling.
    pub timeout_s: f64,
    /// Parameters the runner reads (counts, durations in `*_ms`, messages, ...).
    #[serde(default)]
    pub params: toml::Table,
    /// The checks, each becoming one row of the table.
    #[serde(rename = "check")]
    pub checks: Vec<Check>,
}

fn default_true() -> bool {
    true
}

/// One row of the table: a named measurement and the rule it must satisfy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawCheck")]
pub struct Check {
    /// What is checked, as printed in the table.
    pub what: String,
    /// The name of the measurement the rule applies to.
    pub measure: String,
    /// The rule.
    pub rule: Rule,
    /// The broken implementation that makes this check FAIL (see [`crate::runners::broken`]).
    pub proved_by: Option<String>,
}

/// How a measurement is judged.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// The measurement equals this value exactly (a count, a text or a list of texts).
    Equals(toml::Value),
    /// A count is at most this.
    Max(i64),
    /// A duration is at most this many milliseconds (never scaled).
    MaxMs(f64),
    /// A duration is at least `after_s` seconds (scaled by `--quick`) and at most `late_ms`
    /// milliseconds (not scaled) later than that.
    Within {
        /// The expected duration in seconds, before scaling.
        after_s: f64,
        /// The allowed lateness in milliseconds.
        late_ms: f64,
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Equals(v) => write!(f, "= {}", show_toml(v)),
            Rule::Max(n) => write!(f, "≤ {n}"),
            Rule::MaxMs(ms) => write!(f, "≤ {ms} ms"),
            Rule::Within { after_s, late_ms } => write!(f, "{after_s} s, ≤ {late_ms} ms late"),
        }
    }
}

/// Shows a TOML value the way the table shows a measured value.
pub fn show_toml(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match i {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// The check as written in the file, before its rule is validated.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    what: String,
    measure: String,
    equals: Option<toml::Value>,
    max: Option<i64>,
    max_ms: Option<f64>,
    after_s: Option<f64>,
    late_ms: Option<f64>,
    proved_by: Option<String>,
}

impl TryFrom<RawCheck> for Check {
    type Error = String;

    fn try_from(raw: RawCheck) -> Result<Check, String> {
        let rule = match (raw.equals, raw.max, raw.max_ms, raw.after_s, raw.late_ms) {
            (Some(v), None, None, None, None) => Rule::Equals(v),
            (None, Some(n), None, None, None) => Rule::Max(n),
            (None, None, Some(ms), None, None) => Rule::MaxMs(ms),
            (None, None, None, Some(after_s), Some(late_ms)) => Rule::Within { after_s, late_ms },
            _ => {
                return Err(format!(
                    "check `{}`: give exactly one rule: `equals`, `max`, `max_ms`, \
                     or `after_s` with `late_ms`",
                    raw.what
                ));
            }
        };
        Ok(Check {
            what: raw.what,
            measure: raw.measure,
            rule,
            proved_by: raw.proved_by,
        })
    }
}

/// Parses one spec from TOML text; `origin` names it in errors.
///
/// ```
/// let spec = xtask::spec::parse(
///     r#"
///     id = "demo"
///     title = "Demo"
///     [[exercise]]
///     id = "d.1"
///     title = "answer"
///     runner = "demo.answer"
///     timeout_s = 1
///     [[exercise.check]]
///     what = "the answer"
///     measure = "answer"
///     equals = 42
///     "#,
///     "demo.toml",
/// )
/// .unwrap();
/// assert_eq!(spec.exercises[0].checks[0].rule.to_string(), "= 42");
/// ```
pub fn parse(text: &str, origin: &str) -> Result<Spec, String> {
    let spec: Spec = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    for ex in &spec.exercises {
        if ex.checks.is_empty() {
            return Err(format!("{origin}: exercise {} has no check", ex.id));
        }
    }
    Ok(spec)
}

/// Loads every `*.toml` spec in `dir`, sorted by file name; exercise ids must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<Spec>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut specs = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for file in files {
        let text =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let spec = parse(&text, &file.display().to_string())?;
        for ex in &spec.exercises {
            if !seen.insert(ex.id.clone()) {
                return Err(format!(
                    "{}: exercise id {} used twice",
                    file.display(),
                    ex.id
                ));
            }
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// The directory holding this crate's specs.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("specs")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
        id = "t"
        title = "test"
        [[exercise]]
        id = "t.1"
        title = "x"
        runner = "r"
        timeout_s = 1
        params = { n = 3 }
        [[exercise.check]]
        what = "a"
        measure = "m"
        after_s = 2.0
        late_ms = 50
        [[exercise.check]]
        what = "b"
        measure = "m"
        equals = ["x", "y"]
    "#;

    #[test]
    fn parses_rules_and_defaults() {
        let spec = parse(ONE, "one").unwrap();
        let ex = &spec.exercises[0];
        assert!(ex.scaled);
        assert_eq!(ex.params["n"].as_integer(), Some(3));
        assert_eq!(
            ex.checks[0].rule,
            Rule::Within {
                after_s: 2.0,
                late_ms: 50.0
            }
        );
        assert_eq!(ex.checks[1].rule.to_string(), "= [x, y]");
    }

    #[test]
    fn rejects_a_check_with_two_rules_or_none() {
        let two = ONE.replace("equals = [\"x\", \"y\"]", "equals = 1\nmax = 2");
        let err = parse(&two, "two").unwrap_err();
        assert!(err.contains("exactly one rule"), "{err}");
        let none = ONE.replace("equals = [\"x\", \"y\"]", "");
        assert!(
            parse(&none, "none")
                .unwrap_err()
                .contains("exactly one rule")
        );
    }

    #[test]
    fn rejects_unknown_fields() {
        let typo = ONE.replace("late_ms = 50", "late_ms = 50\nlate_s = 1");
        assert!(parse(&typo, "typo").is_err());
    }

    #[test]
    fn the_shipped_specs_load() {
        let specs = load_dir(&default_dir()).unwrap();
        assert!(specs.iter().any(|s| s.id == "lesson-05"));
    }
}
