//! The bench report's charts, drawn as SVG with `plotters`.
//!
//! * [`ratios_svg`]: one horizontal bar per workload, ours / fastest peer; a line marks 1.0,
//!   bars at or below it are green (we are faster), above it red. The axis runs from 0 to the
//!   largest ratio (at least 2), capped at [`MAX_AXIS`] so one outlier cannot flatten the
//!   rest (a longer bar stops at the edge and keeps its true label).
//! * [`lateness_svg`]: timer lateness as a distribution, one chart per workload: for each
//!   implementation, the lateness (x, µs, logarithmic) at each percentile (y).

use plotters::prelude::*;

use super::lateness::Curve;
use super::report::Workload;

/// The largest ratio the ratios chart's axis shows.
pub const MAX_AXIS: f64 = 10.0;

/// Chart width in pixels.
const WIDTH: u32 = 860;
/// Height of one bar's row, and of one lateness chart.
const ROW_H: u32 = 24;
const LATENESS_H: u32 = 360;

const GREEN: RGBColor = RGBColor(0x2e, 0x7d, 0x32);
const RED: RGBColor = RGBColor(0xc6, 0x28, 0x28);
/// One colour per implementation in the lateness charts, ours first.
const PALETTE: [RGBColor; 5] = [
    RGBColor(0xc6, 0x28, 0x28),
    RGBColor(0x15, 0x65, 0xc0),
    RGBColor(0x2e, 0x7d, 0x32),
    RGBColor(0x6a, 0x1b, 0x9a),
    RGBColor(0xef, 0x6c, 0x00),
];

fn err(e: impl std::fmt::Display) -> String {
    format!("drawing a chart: {e}")
}

/// The ratios chart as a standalone SVG document.
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
/// let svg = xtask::bench::charts::ratios_svg(&[w], "ours / fastest peer").unwrap();
/// assert!(svg.contains("0.90× vs tokio"));
/// ```
pub fn ratios_svg(workloads: &[Workload], title: &str) -> Result<String, String> {
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
    let rows = bars.len().max(1);
    let height = 90 + ROW_H * rows as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(280)
            .build_cartesian_2d(0.0..axis * 1.25, 0.0..rows as f64)
            .map_err(err)?;
        let names: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows + 1)
            .y_label_formatter(&|y| {
                let row = (rows as f64 - y - 0.5).round();
                names
                    .get(row as usize)
                    .filter(|_| (y.fract() - 0.5).abs() < 1e-6)
                    .cloned()
                    .unwrap_or_default()
            })
            .x_desc("ours / fastest peer (median)")
            .draw()
            .map_err(err)?;
        for (i, (_, ratio, peer)) in bars.iter().enumerate() {
            let top = (rows - i) as f64 - 0.15;
            let colour = if *ratio <= 1.0 { GREEN } else { RED };
            let end = ratio.min(axis);
            chart
                .draw_series([Rectangle::new(
                    [(0.0, top), (end, top - 0.7)],
                    colour.filled(),
                )])
                .map_err(err)?;
            chart
                .draw_series([Text::new(
                    format!("{ratio:.2}× vs {peer}"),
                    (end + axis * 0.01, top - 0.2),
                    ("sans-serif", 12),
                )])
                .map_err(err)?;
        }
        chart
            .draw_series(LineSeries::new([(1.0, 0.0), (1.0, rows as f64)], BLACK))
            .map_err(err)?;
        if bars.is_empty() {
            chart
                .draw_series([Text::new(
                    "no workload has both ours and a peer",
                    (0.05, 0.5),
                    ("sans-serif", 12),
                )])
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// The lateness distributions as one SVG document: a chart per workload, a line per
/// implementation through (lateness in µs, percentile).
///
/// ```
/// use xtask::bench::lateness::Curve;
///
/// let curve = |implementation: &str, scale: f64| Curve {
///     workload: "100k sleeps".into(),
///     implementation: implementation.into(),
///     points: (0..=100).map(|p| (p as f64, 10.0 + scale * p as f64)).collect(),
/// };
/// let svg = xtask::bench::charts::lateness_svg(&[curve("ours", 1.0), curve("tokio", 2.0)]).unwrap();
/// assert!(svg.contains("100k sleeps") && svg.contains("tokio"));
/// ```
pub fn lateness_svg(curves: &[Curve]) -> Result<String, String> {
    let mut workloads: Vec<&str> = curves.iter().map(|c| c.workload.as_str()).collect();
    workloads.dedup();
    let mut implementations: Vec<&str> = curves.iter().map(|c| c.implementation.as_str()).collect();
    implementations.sort_by_key(|i| (*i != "ours", *i));
    implementations.dedup();
    let height = LATENESS_H * workloads.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let areas = root.split_evenly((workloads.len().max(1), 1));
        for (workload, area) in workloads.iter().zip(&areas) {
            let mine: Vec<&Curve> = curves.iter().filter(|c| c.workload == *workload).collect();
            let (lo, hi) = mine
                .iter()
                .flat_map(|c| c.points.iter().map(|p| p.1))
                .fold((f64::MAX, 0.0_f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
            let lo = lo.max(1.0);
            let hi = hi.max(lo * 10.0);
            let mut chart = ChartBuilder::on(area)
                .caption(format!("timer lateness: {workload}"), ("sans-serif", 16))
                .margin(12)
                .x_label_area_size(35)
                .y_label_area_size(50)
                .build_cartesian_2d((lo..hi).log_scale(), 0.0..100.0)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc("lateness (µs, log scale): deadline until the awaiting task ran")
                .y_desc("percentile")
                .draw()
                .map_err(err)?;
            for curve in mine {
                let index = implementations
                    .iter()
                    .position(|i| *i == curve.implementation)
                    .unwrap_or(0);
                let colour = PALETTE[index % PALETTE.len()];
                let points = curve.points.iter().map(|&(p, us)| (us.max(lo), p));
                chart
                    .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                    .map_err(err)?
                    .label(curve.implementation.clone())
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2))
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(err)?;
        }
        if workloads.is_empty() {
            root.draw(&Text::new("no lateness data", (20, 20), ("sans-serif", 14)))
                .map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(svg)
}
