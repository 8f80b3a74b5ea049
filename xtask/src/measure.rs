//! What a runner measures, and the clocks it measures with.
//!
//! A runner returns [`Measurements`]: named [`Value`]s. The spec's checks read them by name,
//! so a runner never decides PASS or FAIL itself: it only reports what happened.
//!
//! CPU time comes from `getrusage(2)`. Linux computes `ru_utime + ru_stime` from the
//! scheduler's nanosecond run-time accounting, so differences of a fraction of a millisecond
//! are meaningful even though the fields are split by tick sampling.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// One measured quantity.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A count (polls, streak lengths, ...).
    Int(i64),
    /// A text output, such as the message a future resolved to.
    Text(String),
    /// An ordered list, such as the order in which tasks completed.
    List(Vec<String>),
    /// A length of time (wall clock or CPU).
    Duration(Duration),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(n) => write!(f, "{n}"),
            Value::Text(s) => write!(f, "{s:?}"),
            Value::List(items) => write!(f, "[{}]", items.join(", ")),
            Value::Duration(d) => write!(f, "{}", format_duration(*d)),
        }
    }
}

/// Formats a duration with a unit that keeps three significant decimals readable.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs >= 1.0 {
        format!("{secs:.3} s")
    } else if secs >= 1e-3 {
        format!("{:.3} ms", secs * 1e3)
    } else {
        format!("{:.1} µs", secs * 1e6)
    }
}

/// A measured value, optionally with a note shown beside it (for example the poll trace that
/// explains a streak length).
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// The value the checks compare.
    pub value: Value,
    /// Context shown after the value in the table; never compared.
    pub note: Option<String>,
}

/// Everything one runner measured, by name.
///
/// ```
/// use xtask::measure::{Measurements, Value};
///
/// let mut m = Measurements::new();
/// m.set("polls", Value::Int(6));
/// assert_eq!(m.get("polls").unwrap().value, Value::Int(6));
/// assert!(m.get("output").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurements {
    values: BTreeMap<String, Measured>,
}

impl Measurements {
    /// No measurements yet.
    pub fn new() -> Measurements {
        Measurements::default()
    }

    /// Records `value` under `name`, replacing any earlier value.
    pub fn set(&mut self, name: &str, value: Value) -> &mut Measurements {
        self.values
            .insert(name.to_owned(), Measured { value, note: None });
        self
    }

    /// Records `value` under `name` with a note shown beside it.
    pub fn set_noted(&mut self, name: &str, value: Value, note: String) -> &mut Measurements {
        let note = Some(note);
        self.values
            .insert(name.to_owned(), Measured { value, note });
        self
    }

    /// The value recorded under `name`, if any.
    pub fn get(&self, name: &str) -> Option<&Measured> {
        self.values.get(name)
    }
}

/// Which CPU clock to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuScope {
    /// Every thread of this process.
    Process,
    /// Only the calling thread.
    Thread,
}

/// CPU time (user + system) consumed so far by `scope`.
pub fn cpu_time(scope: CpuScope) -> Duration {
    let who = match scope {
        CpuScope::Process => libc::RUSAGE_SELF,
        CpuScope::Thread => libc::RUSAGE_THREAD,
    };
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct (integers only).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable `rusage` that outlives the call, and `who` is one of
    // the constants getrusage accepts.
    let rc = unsafe { libc::getrusage(who, &mut usage) };
    assert_eq!(
        rc,
        0,
        "getrusage failed: {}",
        std::io::Error::last_os_error()
    );
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(tv: libc::timeval) -> Duration {
    let secs = u64::try_from(tv.tv_sec).unwrap_or(0);
    let micros = u32::try_from(tv.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

/// CPU time spent by `scope` while `f` runs, with `f`'s result.
///
/// ```
/// use std::time::Duration;
/// use xtask::measure::{CpuScope, cpu_during};
///
/// let ((), cpu) = cpu_during(CpuScope::Thread, || std::thread::sleep(Duration::from_millis(20)));
/// assert!(cpu < Duration::from_millis(20), "sleeping is not computing");
/// ```
pub fn cpu_during<T>(scope: CpuScope, f: impl FnOnce() -> T) -> (T, Duration) {
    let before = cpu_time(scope);
    let out = f();
    let after = cpu_time(scope);
    (out, after.saturating_sub(before))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn spinning_costs_cpu_and_sleeping_does_not() {
        // Spin until this thread's CPU clock moves 20 ms (however long a loaded machine
        // takes; a clock that never moves fails at the wall-clock guard instead of hanging).
        let guard = Instant::now() + Duration::from_secs(20);
        let ((), spin) = cpu_during(CpuScope::Thread, || {
            let start = cpu_time(CpuScope::Thread);
            while cpu_time(CpuScope::Thread) - start < Duration::from_millis(20) {
                assert!(
                    Instant::now() < guard,
                    "the thread CPU clock does not advance"
                );
                std::hint::spin_loop();
            }
        });
        let ((), sleep) = cpu_during(CpuScope::Thread, || {
            std::thread::sleep(Duration::from_millis(30));
        });
        assert!(spin >= Duration::from_millis(20), "spin used only {spin:?}");
        assert!(sleep < Duration::from_millis(5), "sleeping used {sleep:?}");
        let process = cpu_time(CpuScope::Process);
        assert!(process >= cpu_time(CpuScope::Thread) - Duration::from_millis(1));
    }

    #[test]
    fn values_display_with_units() {
        assert_eq!(
            Value::Duration(Duration::from_millis(2003)).to_string(),
            "2.003 s"
        );
        assert_eq!(
            Value::Duration(Duration::from_micros(1500)).to_string(),
            "1.500 ms"
        );
        assert_eq!(
            Value::Duration(Duration::from_nanos(300)).to_string(),
            "0.3 µs"
        );
        let list = Value::List(vec!["fast".into(), "slow".into()]);
        assert_eq!(list.to_string(), "[fast, slow]");
        assert_eq!(Value::Text("hi".into()).to_string(), "\"hi\"");
    }
}
