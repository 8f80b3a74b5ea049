//! A hand-written SVG bar chart of ours / fastest peer per workload.
//!
//! One horizontal bar per workload that has a ratio; the axis runs from 0 to the largest
//! ratio (at least 2), capped at [`MAX_AXIS`] so one outlier cannot flatten the rest (a bar
//! past the cap is drawn to the edge and keeps its true label). A dashed line marks 1.0;
//! bars at or below it are green (we are faster), above it red.

use std::fmt::Write as _;

use super::report::Workload;

/// The largest ratio the axis shows.
pub const MAX_AXIS: f64 = 10.0;

const LABEL_W: f64 = 290.0;
const PLOT_W: f64 = 420.0;
const ROW_H: f64 = 22.0;
const TOP: f64 = 40.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart, as a standalone SVG document.
///
/// ```
/// use xtask::bench::report::Workload;
///
/// let w = Workload {
///     suite: "timers".into(),
///     name: "sleep".into(),
///     ours: Some(90.0),
///     peers: vec![("tokio".into(), 100.0)],
///     per_element: false,
/// };
/// let svg = xtask::bench::svg::ratios_svg(&[w], "ours / fastest peer");
/// assert!(svg.contains("0.90× vs tokio"));
/// ```
pub fn ratios_svg(workloads: &[Workload], title: &str) -> String {
    let bars: Vec<(String, f64, &str)> = workloads
        .iter()
        .filter_map(|w| {
            let (peer, _) = w.fastest_peer()?;
            Some((w.full_name(), w.ratio_to_fastest()?, peer))
        })
        .collect();
    let axis = bars
        .iter()
        .map(|b| b.1)
        .fold(2.0_f64, f64::max)
        .min(MAX_AXIS);
    let x = |r: f64| LABEL_W + PLOT_W * (r.min(axis) / axis);
    let width = LABEL_W + PLOT_W + 150.0;
    let height = TOP + ROW_H * bars.len().max(1) as f64 + 30.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="14" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for (i, (name, r, peer)) in bars.iter().enumerate() {
        let y = TOP + ROW_H * i as f64;
        let colour = if *r <= 1.0 { "#2e7d32" } else { "#c62828" };
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            LABEL_W - 8.0,
            y + 14.0,
            escape(name)
        );
        let _ = writeln!(
            s,
            r#"<rect x="{LABEL_W}" y="{}" width="{:.1}" height="{}" fill="{colour}"><title>{} vs {}: {r:.3}</title></rect>"#,
            y + 3.0,
            x(*r) - LABEL_W,
            ROW_H - 6.0,
            escape(name),
            escape(peer)
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}">{r:.2}× vs {}</text>"#,
            x(*r) + 4.0,
            y + 14.0,
            escape(peer)
        );
    }
    let bottom = TOP + ROW_H * bars.len().max(1) as f64;
    let one = x(1.0);
    let _ = writeln!(
        s,
        "<line x1=\"{one:.1}\" y1=\"{}\" x2=\"{one:.1}\" y2=\"{bottom}\" stroke=\"black\" stroke-dasharray=\"4 3\"/>",
        TOP - 6.0
    );
    let _ = writeln!(
        s,
        r#"<text x="{one:.1}" y="{}" text-anchor="middle">1.0 = as fast as the fastest peer</text>"#,
        bottom + 16.0
    );
    let _ = writeln!(
        s,
        r#"<line x1="{LABEL_W}" y1="{bottom}" x2="{:.1}" y2="{bottom}" stroke="gray"/>"#,
        LABEL_W + PLOT_W
    );
    for (tick, anchor) in [(0.0, "start"), (axis, "end")] {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="{anchor}" fill="dimgray">{tick:.1}</text>"#,
            x(tick),
            bottom + 16.0
        );
    }
    if bars.is_empty() {
        let _ = writeln!(
            s,
            r#"<text x="{LABEL_W}" y="{}">no workload has both ours and a peer</text>"#,
            TOP + 14.0
        );
    }
    s.push_str("</svg>\n");
    s
}
