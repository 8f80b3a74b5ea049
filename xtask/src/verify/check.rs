//! Judging: a spec's check applied to a runner's measurements gives one table row.
//!
//! Invariant: a row is PASS only if the named measurement exists and satisfies the rule;
//! a missing or mistyped measurement is a FAIL that says so, never a silent pass.

use std::time::Duration;

use serde::Serialize;

use crate::measure::{Measurements, Value, format_duration};
use crate::spec::{Check, Rule};

/// The verdict of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// The measurement satisfied the rule.
    Pass,
    /// It did not, or could not be measured.
    Fail,
}

impl Status {
    /// The word printed in the table.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
        }
    }
}

/// One line of the verify table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Exercise id, such as `5.3`.
    pub exercise: String,
    /// What was checked.
    pub what: String,
    /// The expectation, after `--quick` scaling.
    pub expected: String,
    /// What was measured, with its unit.
    pub measured: String,
    /// The verdict.
    pub status: Status,
}

/// The expectation of `rule` as printed, after scaling time expectations by `scale`.
pub fn expected_text(rule: &Rule, scale: f64) -> String {
    match rule {
        Rule::Within { after_s, late_ms } => {
            let lo = after_s * scale;
            let hi = lo + late_ms / 1000.0;
            format!("{lo:.3}–{hi:.3} s")
        }
        other => other.to_string(),
    }
}

/// Applies `check` to `measured` (time expectations scaled by `scale`): (measured text, verdict).
///
/// ```
/// use std::time::Duration;
/// use xtask::measure::{Measurements, Value};
/// use xtask::spec::{Check, Rule};
/// use xtask::verify::check::{Status, judge};
///
/// let check = Check {
///     what: "arrives after the delay".into(),
///     measure: "elapsed".into(),
///     rule: Rule::Within { after_s: 2.0, late_ms: 50.0 },
///     proved_by: None,
/// };
/// let mut m = Measurements::new();
/// m.set("elapsed", Value::Duration(Duration::from_millis(2010)));
/// assert_eq!(judge(&check, &m, 1.0), ("2.0100 s".to_owned(), Status::Pass));
/// assert_eq!(judge(&check, &m, 0.1).1, Status::Fail); // scaled by 0.1: 0.200-0.250 s
/// ```
pub fn judge(check: &Check, measured: &Measurements, scale: f64) -> (String, Status) {
    let Some(m) = measured.get(&check.measure) else {
        return (format!("(`{}` not measured)", check.measure), Status::Fail);
    };
    let pass = satisfies(&check.rule, &m.value, scale);
    let mut text = match (&check.rule, &m.value) {
        (Rule::MaxMs(_), Value::Duration(d)) => format!("{:.3} ms", d.as_secs_f64() * 1e3),
        (Rule::Within { .. }, Value::Duration(d)) => format!("{:.4} s", d.as_secs_f64()),
        (_, v) => v.to_string(),
    };
    if let Some(note) = &m.note {
        text.push_str(&format!(" ({note})"));
    }
    match pass {
        Ok(true) => (text, Status::Pass),
        Ok(false) => (text, Status::Fail),
        Err(why) => (format!("{text} ({why})"), Status::Fail),
    }
}

fn satisfies(rule: &Rule, value: &Value, scale: f64) -> Result<bool, String> {
    match (rule, value) {
        (Rule::Equals(want), v) => equals(want, v),
        (Rule::Max(n), Value::Int(got)) => Ok(got <= n),
        (Rule::MaxMs(ms), Value::Duration(got)) => Ok(got.as_secs_f64() * 1e3 <= *ms),
        (Rule::Within { after_s, late_ms }, Value::Duration(got)) => {
            let lo = Duration::from_secs_f64(after_s * scale);
            let hi = lo + Duration::from_secs_f64(late_ms / 1000.0);
            Ok(*got >= lo && *got <= hi)
        }
        (rule, _) => Err(format!(
            "rule `{rule}` does not apply to this kind of value"
        )),
    }
}

fn equals(want: &toml::Value, got: &Value) -> Result<bool, String> {
    match (want, got) {
        (toml::Value::Integer(w), Value::Int(g)) => Ok(w == g),
        (toml::Value::String(w), Value::Text(g)) => Ok(w == g),
        (toml::Value::Array(w), Value::List(g)) => Ok(w.len() == g.len()
            && w.iter().zip(g).all(|(w, g)| match w {
                toml::Value::String(s) => s == g,
                other => other.to_string() == *g,
            })),
        _ => Err("expected and measured values have different kinds".to_owned()),
    }
}

/// Text for a duration measured by a runner that timed out or failed, for the table.
pub fn timeout_text(limit: Duration) -> String {
    format!("(timed out after {})", format_duration(limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(measure: &str, rule: Rule) -> Check {
        Check {
            what: "w".into(),
            measure: measure.into(),
            rule,
            proved_by: None,
        }
    }

    #[test]
    fn within_is_scaled_and_lateness_is_not() {
        let rule = Rule::Within {
            after_s: 2.0,
            late_ms: 50.0,
        };
        let c = check("t", rule.clone());
        let mut m = Measurements::new();
        m.set("t", Value::Duration(Duration::from_millis(230)));
        assert_eq!(judge(&c, &m, 0.1).1, Status::Pass);
        m.set("t", Value::Duration(Duration::from_millis(260)));
        assert_eq!(judge(&c, &m, 0.1), ("0.2600 s".to_owned(), Status::Fail));
        m.set("t", Value::Duration(Duration::from_millis(199)));
        assert_eq!(judge(&c, &m, 0.1).1, Status::Fail, "early is a failure too");
        assert_eq!(expected_text(&rule, 0.1), "0.200–0.250 s");
    }

    #[test]
    fn equals_compares_counts_texts_and_lists() {
        let mut m = Measurements::new();
        m.set("n", Value::Int(6));
        m.set("s", Value::Text("hi".into()));
        m.set("l", Value::List(vec!["a".into(), "b".into()]));
        let eq = |name: &str, v: toml::Value| judge(&check(name, Rule::Equals(v)), &m, 1.0).1;
        assert_eq!(eq("n", 6.into()), Status::Pass);
        assert_eq!(eq("n", 7.into()), Status::Fail);
        assert_eq!(eq("s", "hi".into()), Status::Pass);
        assert_eq!(
            eq("l", toml::Value::Array(vec!["a".into(), "b".into()])),
            Status::Pass
        );
        assert_eq!(
            eq("l", toml::Value::Array(vec!["b".into(), "a".into()])),
            Status::Fail
        );
        assert_eq!(eq("s", 1.into()), Status::Fail, "kind mismatch fails");
    }

    #[test]
    fn a_missing_measurement_fails_and_says_so() {
        let (text, status) = judge(&check("gone", Rule::Max(1)), &Measurements::new(), 1.0);
        assert_eq!(status, Status::Fail);
        assert!(text.contains("not measured"));
    }

    #[test]
    fn max_ms_shows_milliseconds_and_notes() {
        let mut m = Measurements::new();
        m.set_noted(
            "cpu",
            Value::Duration(Duration::from_micros(7250)),
            "busy".into(),
        );
        let (text, status) = judge(&check("cpu", Rule::MaxMs(5.0)), &m, 1.0);
        assert_eq!((text.as_str(), status), ("7.250 ms (busy)", Status::Fail));
    }
}
