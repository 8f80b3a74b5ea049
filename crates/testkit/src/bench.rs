//! A bench group's timing settings as defaults, so that criterion's command-line flags win.
//!
//! Criterion applies its command line (`--sample-size`, `--warm-up-time`,
//! `--measurement-time`) to its global configuration, and a group's own settings then replace
//! those: a bench that sets them on its groups silently ignores the user's flags. Setting a
//! value only where the command line gave none keeps both.

use std::time::Duration;

use criterion::BenchmarkGroup;
use criterion::measurement::Measurement;

/// Timing settings for a criterion benchmark group, each applied only if the command line
/// does not set it.
///
/// ```
/// use std::time::Duration;
/// use criterion::Criterion;
///
/// let mut c = Criterion::default();
/// let mut group = c.benchmark_group("demo");
/// testkit::GroupDefaults {
///     sample_size: 10,
///     warm_up_time: Duration::from_millis(300),
///     measurement_time: Duration::from_secs(2),
/// }
/// .apply(&mut group); // `cargo bench -- --warm-up-time 1` would keep 1 s
/// group.finish();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupDefaults {
    /// Criterion's `--sample-size` (at least 10).
    pub sample_size: usize,
    /// Criterion's `--warm-up-time`.
    pub warm_up_time: Duration,
    /// Criterion's `--measurement-time`.
    pub measurement_time: Duration,
}

/// The command-line flags [`GroupDefaults`] gives way to.
const SAMPLE_SIZE: &str = "--sample-size";
const WARM_UP_TIME: &str = "--warm-up-time";
const MEASUREMENT_TIME: &str = "--measurement-time";

impl GroupDefaults {
    /// Sets on `group` each setting that this process's command line does not give.
    pub fn apply<M: Measurement>(&self, group: &mut BenchmarkGroup<'_, M>) {
        let args: Vec<String> = std::env::args().collect();
        let given = |flag: &str| given(&args, flag);
        if !given(SAMPLE_SIZE) {
            group.sample_size(self.sample_size);
        }
        if !given(WARM_UP_TIME) {
            group.warm_up_time(self.warm_up_time);
        }
        if !given(MEASUREMENT_TIME) {
            group.measurement_time(self.measurement_time);
        }
    }
}

/// Whether `args` set `flag`, as `--flag value` or `--flag=value`.
fn given(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| {
        a == flag
            || a.strip_prefix(flag)
                .is_some_and(|rest| rest.starts_with('='))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_flag_counts_in_both_spellings_and_only_whole() {
        let a = args("bench --warm-up-time 1 --measurement-time=2 --sample-sizes 3");
        assert!(given(&a, WARM_UP_TIME));
        assert!(given(&a, MEASUREMENT_TIME));
        assert!(!given(&a, SAMPLE_SIZE), "--sample-sizes is another word");
        assert!(!given(&args("bench executor/yield"), WARM_UP_TIME));
    }
}
