//! `cargo xtask bench`'s report, built from a fixture of fake criterion output
//! (`tests/fixtures/criterion`): three suites, a throughput, a parameterised group, an older
//! `base/` run that must be ignored and criterion's own `report/` directory.

use std::path::{Path, PathBuf};

use xtask::bench::{criterion, report, write_report};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/criterion")
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn reads_only_the_latest_run_and_honours_throughput() {
    let samples = criterion::read_dir(&fixture()).unwrap();
    assert_eq!(samples.len(), 9, "base/ and report/ are not samples");
    let ours_ready = samples
        .iter()
        .find(|s| s.group == "block_on/ready" && s.function == "ours")
        .unwrap();
    assert_eq!(ours_ready.median_ns, 2.0, "new/, not the older base/ run");
    let spawn = samples
        .iter()
        .find(|s| s.group == "executor/spawn_many" && s.function == "ours")
        .unwrap();
    assert_eq!((spawn.median_ns, spawn.per_element), (150.0, Some(1000)));
    let sleep = samples
        .iter()
        .find(|s| s.function == "futures-timer")
        .unwrap();
    assert_eq!(sleep.workload(), "timers/sleep/100");
}

#[test]
fn the_report_has_a_row_per_workload_with_ratios() {
    let ws = report::workloads(&criterion::read_dir(&fixture()).unwrap());
    let names: Vec<String> = ws.iter().map(|w| w.full_name()).collect();
    assert_eq!(
        names,
        ["block_on/ready", "executor/spawn_many", "timers/sleep/100"]
    );
    let spawn = &ws[1];
    assert_eq!(spawn.fastest_peer(), Some(("tokio", 120.0)));
    assert_eq!(spawn.ratio_to_fastest(), Some(1.25));
    assert_eq!(spawn.ratio_to("async-executor"), Some(0.5));

    let dir = out_dir("report");
    let lateness = fixture().with_file_name("lateness");
    let md = write_report(&fixture(), &lateness, &dir, "Measured today on a test box.").unwrap();
    assert!(md.starts_with("Measured today on a test box."));
    // Ratios to the fastest peer: 2/3, 1.25 and 1.5/1.2 = 1.25; geometric mean 1.014.
    assert!(md.contains("Faster than the fastest peer in 1 of 3 workloads; geometric mean of ours / fastest peer: 1.01×."), "{md}");
    assert!(
        md.contains("| workload | ours | pollster | futures | ours / fastest peer |"),
        "{md}"
    );
    assert!(
        md.contains("| ready (per iteration) | 2.0 ns | 3.0 ns (0.67×) | 4.0 ns (0.50×) | **0.67×** (pollster) |"),
        "{md}"
    );
    assert!(
        md.contains(
            "| spawn_many | 150.0 ns | 120.0 ns (1.25×) | 300.0 ns (0.50×) | **1.25×** (tokio) |"
        ),
        "{md}"
    );
    assert!(
        md.contains("| sleep/100 (per iteration) | 1.50 ms |"),
        "{md}"
    );
    assert_eq!(std::fs::read_to_string(dir.join("report.md")).unwrap(), md);

    let svg = std::fs::read_to_string(dir.join("ratios.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    let bars = svg.matches("<rect").count() - 1; // less the white background
    assert_eq!(bars, 3, "one bar per workload");
    assert!(svg.contains("<polyline"), "the 1.0 line");
    assert!(svg.contains("0.67× vs pollster") && svg.contains("1.25× vs tokio"));
    assert!(
        svg.contains("#2E7D32") && svg.contains("#C62828"),
        "faster green, slower red"
    );

    // The second chart: the timers' lateness distributions, one line per implementation.
    assert!(md.contains("](lateness.svg)"), "{md}");
    let svg = std::fs::read_to_string(dir.join("lateness.svg")).unwrap();
    assert!(svg.contains("timer lateness: 100k sleeps of 0-100 ms"));
    assert!(
        svg.contains("ours") && svg.contains("tokio"),
        "a legend entry each"
    );
    assert_eq!(
        svg.matches("stroke-width=\"2\"").count(),
        4,
        "a line and a legend mark each"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_criterion_directory_is_an_error() {
    let dir = out_dir("empty");
    std::fs::create_dir_all(&dir).unwrap();
    let err = write_report(&dir, &dir, &dir.join("out"), "ctx").unwrap_err();
    assert!(err.contains("no criterion results"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
