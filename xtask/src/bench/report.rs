//! The comparison report: per workload, our median against each peer's, as ratios.
//!
//! A workload is a criterion group `<suite>/<workload>` (plus a parameter, if any); inside
//! it the function id `ours` is us and every other id is a peer. Ratios are ours / peer:
//! below 1.0 we are faster. A workload without `ours` or without any peer is listed but has
//! no ratio.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::criterion::Sample;

/// The function id of our implementation.
pub const OURS: &str = "ours";

/// Peer ids in the order the naming convention lists them; unknown peers sort after.
pub const PEER_ORDER: [&str; 11] = [
    "pollster",
    "futures",
    "futures-lite",
    "tokio",
    "tokio-mt2",
    "async-executor",
    "async-executor-2t",
    "futures-localpool",
    "futures-threadpool",
    "async-io",
    "futures-timer",
];

/// One workload's medians.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// The suite: the group id up to its first `/`.
    pub suite: String,
    /// The rest of the name (workload and parameter).
    pub name: String,
    /// Our median, in ns (per element if the benchmark set a throughput).
    pub ours: Option<f64>,
    /// Each peer's median, in the same unit.
    pub peers: Vec<(String, f64)>,
    /// Whether the figures are per element rather than per iteration.
    pub per_element: bool,
}

impl Workload {
    /// The fastest peer and its median.
    pub fn fastest_peer(&self) -> Option<(&str, f64)> {
        self.peers
            .iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(name, ns)| (name.as_str(), *ns))
    }

    /// Ours / fastest peer.
    pub fn ratio_to_fastest(&self) -> Option<f64> {
        Some(self.ours? / self.fastest_peer()?.1)
    }

    /// Ours / the named peer.
    pub fn ratio_to(&self, peer: &str) -> Option<f64> {
        let theirs = self.peers.iter().find(|(n, _)| n == peer)?.1;
        Some(self.ours? / theirs)
    }

    /// `suite/name`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.suite, self.name)
    }
}

fn peer_rank(name: &str) -> (usize, String) {
    let rank = PEER_ORDER
        .iter()
        .position(|p| *p == name)
        .unwrap_or(PEER_ORDER.len());
    (rank, name.to_owned())
}

/// Groups samples into workloads, sorted by suite then name.
///
/// ```
/// use xtask::bench::criterion::Sample;
/// use xtask::bench::report::workloads;
///
/// let sample = |function: &str, ns| Sample {
///     group: "block_on/ready".into(),
///     function: function.into(),
///     parameter: None,
///     median_ns: ns,
///     per_element: None,
/// };
/// let ws = workloads(&[sample("ours", 3.0), sample("pollster", 4.0), sample("tokio", 6.0)]);
/// assert_eq!(ws[0].ratio_to_fastest(), Some(0.75));
/// assert_eq!(ws[0].fastest_peer(), Some(("pollster", 4.0)));
/// ```
pub fn workloads(samples: &[Sample]) -> Vec<Workload> {
    let mut by_name: BTreeMap<String, Workload> = BTreeMap::new();
    for s in samples {
        let full = s.workload();
        let (suite, name) = full.split_once('/').unwrap_or(("other", full.as_str()));
        let w = by_name.entry(full.clone()).or_insert_with(|| Workload {
            suite: suite.to_owned(),
            name: name.to_owned(),
            ours: None,
            peers: Vec::new(),
            per_element: s.per_element.is_some(),
        });
        if s.function == OURS {
            w.ours = Some(s.median_ns);
        } else {
            w.peers.push((s.function.clone(), s.median_ns));
        }
    }
    let mut out: Vec<Workload> = by_name.into_values().collect();
    for w in &mut out {
        w.peers.sort_by_key(|(name, _)| peer_rank(name));
    }
    out
}

/// Formats nanoseconds with a readable unit.
pub fn format_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |r| format!("{r:.2}×"))
}

/// The Markdown report: one table per suite, a column per peer, `context` on top.
pub fn markdown(workloads: &[Workload], context: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{context}\n");
    let _ = writeln!(
        out,
        "Medians of one criterion run; a cell is the median and ours / that peer. \
         Below 1.00× we are faster. Times are per element of the benchmark's declared \
         throughput, or per iteration where it declared none.\n"
    );
    let ratios: Vec<f64> = workloads
        .iter()
        .filter_map(Workload::ratio_to_fastest)
        .collect();
    if !ratios.is_empty() {
        let faster = ratios.iter().filter(|r| **r < 1.0).count();
        let geomean = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
        let _ = writeln!(
            out,
            "Faster than the fastest peer in {faster} of {} workloads; geometric mean of ours / \
             fastest peer: {geomean:.2}×.\n",
            ratios.len()
        );
    }
    let mut suites: Vec<&str> = workloads.iter().map(|w| w.suite.as_str()).collect();
    suites.dedup();
    for suite in suites {
        let rows: Vec<&Workload> = workloads.iter().filter(|w| w.suite == suite).collect();
        let mut peers: Vec<&str> = rows
            .iter()
            .flat_map(|w| w.peers.iter().map(|(n, _)| n.as_str()))
            .collect();
        peers.sort_by_key(|n| peer_rank(n));
        peers.dedup();
        let _ = writeln!(out, "### {suite}\n");
        let _ = write!(out, "| workload | ours |");
        for p in &peers {
            let _ = write!(out, " {p} |");
        }
        let _ = writeln!(out, " ours / fastest peer |");
        let _ = writeln!(out, "|---|---:|{}---:|", "---:|".repeat(peers.len()));
        for w in rows {
            let unit = if w.per_element {
                ""
            } else {
                " (per iteration)"
            };
            let ours = w.ours.map_or_else(|| "—".to_owned(), format_ns);
            let _ = write!(out, "| {}{unit} | {ours} |", w.name);
            for p in &peers {
                match w.peers.iter().find(|(n, _)| n == p) {
                    Some((_, ns)) => {
                        let _ = write!(out, " {} ({}) |", format_ns(*ns), ratio(w.ratio_to(p)));
                    }
                    None => out.push_str(" — |"),
                }
            }
            let fastest = match (w.ratio_to_fastest(), w.fastest_peer()) {
                (Some(r), Some((name, _))) => format!("**{r:.2}×** ({name})"),
                _ => "—".to_owned(),
            };
            let _ = writeln!(out, " {fastest} |");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(group: &str, function: &str, ns: f64) -> Sample {
        Sample {
            group: group.into(),
            function: function.into(),
            parameter: None,
            median_ns: ns,
            per_element: None,
        }
    }

    #[test]
    fn ratios_are_ours_over_peer() {
        let ws = workloads(&[
            sample("block_on/ready", "ours", 2.0),
            sample("block_on/ready", "pollster", 4.0),
            sample("block_on/ready", "futures", 1.0),
        ]);
        assert_eq!(ws.len(), 1);
        let w = &ws[0];
        assert_eq!((w.suite.as_str(), w.name.as_str()), ("block_on", "ready"));
        assert_eq!(w.ratio_to("pollster"), Some(0.5));
        assert_eq!(w.fastest_peer(), Some(("futures", 1.0)));
        assert_eq!(w.ratio_to_fastest(), Some(2.0));
        let names: Vec<&str> = w.peers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["pollster", "futures"],
            "convention order, not alphabetical"
        );
    }

    #[test]
    fn a_workload_without_ours_has_no_ratio() {
        let ws = workloads(&[sample("timers/sleep", "tokio", 5.0)]);
        assert_eq!(ws[0].ratio_to_fastest(), None);
        assert!(markdown(&ws, "ctx").contains("| sleep (per iteration) | — | 5.0 ns (—) | — |"));
    }

    #[test]
    fn units_scale() {
        assert_eq!(format_ns(12.34), "12.3 ns");
        assert_eq!(format_ns(4_560.0), "4.56 µs");
        assert_eq!(format_ns(2_500_000.0), "2.50 ms");
        assert_eq!(format_ns(3e9), "3.00 s");
    }
}
