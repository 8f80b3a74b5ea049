//! Timer lateness distributions, as the timers benchmark writes them.
//!
//! `benches/benches/timers.rs` writes [`FILE`] into cargo's `target/tmp` directory: a CSV
//! with a header line, then `workload,implementation,percentile,micros` rows (percentiles
//! 0 to 100, lateness in µs). A workload's name may contain commas (the other fields never
//! do), so a row is read from the right. The report draws one curve per workload and
//! implementation.

use std::path::Path;

/// The file name under `target/tmp`.
pub const FILE: &str = "timers-lateness.csv";

/// One implementation's lateness distribution on one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// The workload, as the benchmark names it.
    pub workload: String,
    /// `ours`, or a peer's id.
    pub implementation: String,
    /// `(percentile, lateness in µs)`, by ascending percentile.
    pub points: Vec<(f64, f64)>,
}

/// Parses the CSV text; curves come in the order their first row appears.
///
/// ```
/// let text = "workload,implementation,percentile,micros\nw,ours,50,12.5\nw,ours,99,40\n";
/// let curves = xtask::bench::lateness::parse(text).unwrap();
/// assert_eq!(curves[0].points, [(50.0, 12.5), (99.0, 40.0)]);
///
/// // The benchmark's workload names contain commas.
/// let text = "workload,implementation,percentile,micros\n100k sleeps, one task,tokio,99,9.5\n";
/// let curves = xtask::bench::lateness::parse(text).unwrap();
/// assert_eq!(curves[0].workload, "100k sleeps, one task");
/// assert_eq!(curves[0].implementation, "tokio");
/// assert_eq!(curves[0].points, [(99.0, 9.5)]);
/// ```
pub fn parse(text: &str) -> Result<Vec<Curve>, String> {
    let mut curves: Vec<Curve> = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let bad = || format!("{FILE} line {}: `{line}`", n + 1);
        // From the right: the workload, first, is the one field that may hold commas.
        let fields: Vec<&str> = line.rsplitn(4, ',').collect();
        let [micros, percentile, implementation, workload] = fields[..] else {
            return Err(bad());
        };
        let point = (
            percentile.parse().map_err(|_| bad())?,
            micros.parse().map_err(|_| bad())?,
        );
        match curves
            .iter_mut()
            .find(|c| c.workload == workload && c.implementation == implementation)
        {
            Some(curve) => curve.points.push(point),
            None => curves.push(Curve {
                workload: workload.to_owned(),
                implementation: implementation.to_owned(),
                points: vec![point],
            }),
        }
    }
    for curve in &mut curves {
        curve.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok(curves)
}

/// Reads `dir/`[`FILE`]; `Ok(None)` if the timers benchmark has not written it.
pub fn read(dir: &Path) -> Result<Option<Vec<Curve>>, String> {
    let path = dir.join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
