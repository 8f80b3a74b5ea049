//! `cargo xtask bench`: run the comparison suites, then report ours against the peers.
//!
//! Runs `cargo bench -p benches` (one suite with `--suite`, extra arguments passed to
//! criterion), reads every result under `<target>/criterion`, and writes
//! `<target>/bench-report/report.md` and `<target>/bench-report/ratios.svg`, plus
//! `lateness.svg` when the timers suite has left its lateness distributions in
//! `<target>/tmp` (see [`lateness`]). The report covers every result criterion holds, so
//! running one suite keeps the others' last figures.

pub mod charts;
pub mod criterion;
pub mod lateness;
pub mod report;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Run only this suite (`block_on`, `executor`, `io` or `timers`).
    pub suite: Option<String>,
    /// Arguments for criterion (after `--`).
    pub extra: Vec<String>,
    /// Skip `cargo bench`; only rebuild the report from the results already there.
    pub report_only: bool,
}

/// The target directory cargo uses: `$CARGO_TARGET_DIR`, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("target"),
    }
}

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// Runs the benchmarks (unless `report_only`), then writes and prints the report.
pub fn run(opts: &Options) -> Result<(), String> {
    if !opts.report_only {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(workspace_root())
            .args(["bench", "-p", "benches"]);
        if let Some(suite) = &opts.suite {
            cmd.args(["--bench", suite]);
        }
        if !opts.extra.is_empty() {
            cmd.arg("--").args(&opts.extra);
        }
        eprintln!("running {cmd:?}");
        let status = cmd.status().map_err(|e| format!("cargo bench: {e}"))?;
        if !status.success() {
            return Err(format!("cargo bench failed: {status}"));
        }
    }
    let target = target_dir();
    let table = write_report(
        &target.join("criterion"),
        &target.join("tmp"),
        &target.join("bench-report"),
        &context(),
    )?;
    println!("{table}");
    println!("written: {}", target.join("bench-report").display());
    Ok(())
}

/// Reads the criterion results under `criterion_dir` (and the lateness distributions in
/// `lateness_dir`, if there) and writes `report.md`, `ratios.svg` and `lateness.svg` into
/// `out_dir`; returns the Markdown.
pub fn write_report(
    criterion_dir: &Path,
    lateness_dir: &Path,
    out_dir: &Path,
    context: &str,
) -> Result<String, String> {
    let samples = criterion::read_dir(criterion_dir)?;
    if samples.is_empty() {
        return Err(format!(
            "no criterion results under {}",
            criterion_dir.display()
        ));
    }
    let workloads = report::workloads(&samples);
    let mut md = report::markdown(&workloads, context);
    let ratios = charts::ratios_svg(
        &workloads,
        "ours / fastest peer (median; below 1.0 = we are faster)",
    )?;
    std::fs::create_dir_all(out_dir).map_err(|e| format!("{}: {e}", out_dir.display()))?;
    let write = |name: &str, text: &str| {
        let path = out_dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("ratios.svg", &ratios)?;
    md.push_str("\n![ours / fastest peer per workload](ratios.svg)\n");
    if let Some(curves) = lateness::read(lateness_dir)? {
        write("lateness.svg", &charts::lateness_svg(&curves)?)?;
        md.push_str("\n![timer lateness distributions](lateness.svg)\n");
    }
    write("report.md", &md)?;
    Ok(md)
}

/// `Measured YYYY-MM-DD on CPU (N hardware threads).`, for the top of the report.
pub fn context() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let threads = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "Measured {} on {cpu} ({threads} hardware threads).",
        today_utc()
    )
}

/// Today's date in UTC as `YYYY-MM-DD`.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Gregorian (year, month, day) of `days` since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
    }
}
